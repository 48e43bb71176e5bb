/**
 * The seed citizens and what the generated simulators answer from them: a few hundred
 * fictitious people, the same person agreeing across ministries.
 */
import assert from 'node:assert/strict';
import { createConnector } from '../../connectors';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import { citizen, citizens, SEED_APPLICANT } from '../../sandbox/data/citizens';
import { startContractSimulator } from '../../sandbox/generated';

describe('sandbox seed citizens', () => {
  it('a few hundred valid, unique, deterministic people in households', () => {
    const all = citizens();
    assert.ok(all.length >= 200 && all.length <= 1000, `${all.length}`);
    assert.equal(new Set(all.map((c) => c.nationalNumber)).size, all.length);
    for (const c of all) {
      assert.match(c.nationalNumber, /^0[0-9]{10}$/);
      assert.match(c.fullNameAr, /^\p{Script=Arabic}+( \p{Script=Arabic}+)+$/u);
      assert.match(c.phone, /^\+9639[0-9]{8}$/);
      if (c.spouse) assert.equal(citizen(c.spouse)?.spouse, c.nationalNumber, 'spouses name each other');
      for (const k of c.children) {
        const child = citizen(k)!;
        assert.ok(child.parents.includes(c.nationalNumber));
        assert.ok(Number(child.birthDate.slice(0, 4)) >= Number(c.birthDate.slice(0, 4)) + 18, 'born to an adult');
      }
    }
    assert.ok(all.filter((c) => c.university).length > 50 && all.filter((c) => c.vehicles.length).length > 50 && all.filter((c) => c.school).length > 100);
    assert.equal(citizen(SEED_APPLICANT)?.fullNameAr, 'ريم خالد الأحمد');
  });

  it('the simulators answer from them: one family, one owner, across ministries', async function () {
    this.timeout(20_000);
    const civil = await startContractSimulator('moi-civil-registry', { port: 0 });
    const transport = await startContractSimulator('mot-vehicle-registry', { port: 0 });
    const restore = overrideSandbox({ endpoints: { 'moi-civil-registry': civil.url, 'mot-vehicle-registry': transport.url } });
    const reem = citizen(SEED_APPLICANT)!;
    const moi = createConnector('moi-civil-registry', 'sandbox');
    const mot = createConnector('mot-vehicle-registry', 'sandbox');
    try {
      const family = (await moi.call('IssueFamilyExtract', { nationalNumber: reem.nationalNumber, purpose: 'official', copies: 1, language: 'ar', applicantName: reem.fullNameAr }, { orderId: 'S1', idempotencyKey: 'S1:1' })).output as { member: Array<{ nationalNumber: string; relation: string }>; headOfFamily: { firstName: string } };
      assert.deepEqual(family.member.map((m) => m.nationalNumber).sort(), [reem.nationalNumber, ...reem.children].sort());
      assert.equal(family.headOfFamily.firstName, citizen(reem.spouse)!.firstName);
      const child = citizen(reem.children[0])!;
      const extract = (await moi.call('IssueIndividualExtract', { nationalNumber: child.nationalNumber, purpose: 'education', copies: 1, language: 'ar', applicantName: child.fullNameAr }, { orderId: 'S2', idempotencyKey: 'S2:1' })).output as { names: { firstName: string; motherName: string } };
      assert.deepEqual([extract.names.firstName, extract.names.motherName], [child.firstName, reem.firstName]);
      const owner = (await mot.call('GetOwnershipStatement', { path: { plate: '123456' }, query: { governorate: 'damascus' } }, { orderId: 'S3' })).output as { owner: { nationalNumber: string; nameAr: string } };
      assert.deepEqual(owner.owner, { nationalNumber: reem.nationalNumber, nameAr: reem.fullNameAr });
    } finally {
      await moi.close();
      await mot.close();
      restore();
      await civil.close();
      await transport.close();
    }
  });
});
