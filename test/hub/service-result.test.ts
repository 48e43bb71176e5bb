/**
 * Results a service can return (issue 23, item 5): a service declares typed result data
 * (service.json `result`), its flow sets it (msg.results.data), the hub checks it against the
 * declared schema before the step is stored — an invalid result is the flow's error, not stored —
 * and the order carries it to GET /v1/orders/{id}, the receipt and the dashboard. A provider's
 * business refusal ends the order rejected with a bilingual message for the citizen: the
 * service's override for that provider and reason, else the provider rule's message, else a
 * default naming the reason.
 *
 * The flow runs on node-red-node-test-helper against a REAL REST server through a provider
 * imported into a temporary folder (as test/nodes/wasl-call.test.ts); the API on a test hub, on
 * SQLite and (when reachable) PostgreSQL.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Order, Receipt, ServiceDefinition } from "../../contracts/types";
import { mapRefusal } from "../../connectors/error-mapping";
import { importOpenApi } from "../../connectors/import/openapi";
import { writeProvider } from "../../connectors/import/write";
import { Catalogue, catalogueEntry } from "../../hub/catalogue";
import { recordFailure } from "../../hub/journal";
import { createLogger } from "../../hub/log";
import { hashPassword } from "../../hub/operators";
import {
  checkResultData,
  defaultRefusalMessage,
  MAX_RESULT_BYTES,
  receiptWithOutcome,
  rejectionFor,
} from "../../hub/order-outcome";
import { RECEIPT_LABELS } from "../../hub/payments/desk";
import { setHubContext } from "../../hub/runtime/context";
import type { Store } from "../../hub/store";
import { PostgresStore } from "../../hub/store/postgres";
import { SqliteStore } from "../../hub/store/sqlite";
import type { Workers } from "../../hub/workers";
import waslCall from "../../nodes/wasl-call";
import waslMap from "../../nodes/wasl-map";
import waslOrderUpdate from "../../nodes/wasl-order-update";
import waslProvider from "../../nodes/wasl-provider";
import {
  auth,
  dropSchema,
  FLOWS_DIR,
  KEYS,
  newKey,
  PG_URL,
  requirePostgres,
  testHub,
  validRequest,
} from "../helpers";
import { newOrder } from "./store/contract";

// The helper loads the Catch node itself; these two core nodes the flow uses are handed in.
const switchNode = require("@node-red/nodes/core/function/10-switch.js") as (
  red: unknown,
) => void;
const changeNode = require("@node-red/nodes/core/function/15-change.js") as (
  red: unknown,
) => void;

const helper = require("node-red-node-test-helper") as {
  init(runtimePath: string): void;
  load(
    nodes: unknown[],
    flow: unknown[],
    credentials?: Record<string, Record<string, string>>,
  ): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): unknown;
};
helper.init(require.resolve("node-red"));

const SERVICE = "civil-registry-individual-extract";
const HOLDER = "ريم خالد الأحمد";

/** The seed service, answered by the test provider, declaring its result and one refusal message of its own. */
function definition(): ServiceDefinition {
  const def = JSON.parse(
    readFileSync(join(FLOWS_DIR, SERVICE, "service.json"), "utf8"),
  ) as ServiceDefinition;
  def.provider = { code: "moi-test", operation: "issueCertificate" };
  def.result = {
    schema: {
      type: "object",
      additionalProperties: false,
      required: ["reference", "holder"],
      properties: {
        reference: { type: "string", pattern: "^CERT-[0-9]+$" },
        holder: { type: "string", maxLength: 100 },
        registered: { type: "boolean" },
      },
      examples: [{ reference: "CERT-1", holder: HOLDER }],
    },
    labels: {
      reference: { ar: "رقم الوثيقة", en: "Document number" },
      holder: { ar: "صاحب القيد", en: "Holder" },
    },
  };
  def.refusals = [
    {
      reason: "person-deceased",
      message: {
        ar: "صاحب القيد متوفى: راجع أمانة السجل المدني",
        en: "The person is deceased: visit the civil registry office",
      },
    },
  ];
  return def;
}

const openapi = (port: number) => {
  const error = {
    description: "refused",
    content: {
      "application/json": {
        schema: { type: "object", properties: { code: { type: "string" } } },
      },
    },
  };
  return {
    openapi: "3.0.3",
    info: { title: "Test registry", version: "1.0.0" },
    servers: [{ url: `http://127.0.0.1:${port}/api` }],
    paths: {
      "/certificates": {
        post: {
          operationId: "issueCertificate",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["nationalNumber"],
                  additionalProperties: false,
                  properties: { nationalNumber: { type: "string" } },
                },
              },
            },
          },
          responses: {
            "201": {
              description: "issued",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    required: ["reference"],
                    properties: {
                      reference: { type: "string" },
                      name: { type: "string" },
                    },
                  },
                },
              },
            },
            "404": error,
            "409": error,
            "410": error,
          },
        },
      },
    },
  };
};

/** What the test ministry answers, by national number. */
const ANSWERS: Record<string, [number, unknown]> = {
  "00000000404": [404, { code: "PERSON_NOT_FOUND" }],
  "00000000409": [409, { code: "RECORD_SEALED" }],
  "00000000410": [410, { code: "DECEASED" }],
  "00000000666": [201, { reference: "not a reference", name: HOLDER }],
};

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
    req.on("error", fail);
  });
}

describe("service results and refusal messages", () => {
  describe("through a flow: wasl-call, then wasl-order-update", () => {
    let server: http.Server;
    let root: string;
    let store: SqliteStore;
    let calls = 0;

    before(async () => {
      server = http.createServer(async (req, res) => {
        const body = JSON.parse(await readBody(req)) as {
          nationalNumber: string;
        };
        const [status, answer] = ANSWERS[body.nationalNumber] ?? [
          201,
          { reference: `CERT-${++calls}`, name: HOLDER },
        ];
        res
          .writeHead(status, {
            "content-type": "application/json; charset=utf-8",
          })
          .end(JSON.stringify(answer));
      });
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      const port = (server.address() as AddressInfo).port;
      root = mkdtempSync(join(tmpdir(), "wasl-result-"));
      const doc = join(root, "registry.json");
      writeFileSync(doc, JSON.stringify(openapi(port)));
      const written = await writeProvider(
        join(root, "providers"),
        "moi-test",
        await importOpenApi("moi-test", doc),
      );
      assert.equal(written.status, "created");
      const file = join(root, "providers", "moi-test", "provider.json");
      const def = JSON.parse(readFileSync(file, "utf8"));
      def.environments.sandbox.endpoint = `http://127.0.0.1:${port}/api`;
      def.errors = {
        rules: [
          {
            status: 404,
            faultCode: "PERSON_NOT_FOUND",
            reason: "person-not-found",
            message: {
              ar: "لا يوجد قيد لهذا الشخص",
              en: "No record of this person",
            },
          },
          { status: 409, faultCode: "RECORD_SEALED", reason: "record-sealed" },
          {
            status: 410,
            faultCode: "DECEASED",
            reason: "person-deceased",
            message: { ar: "صاحب القيد متوفى", en: "The person is deceased" },
          },
        ],
      };
      def.resilience = { retry: { maxAttempts: 1 } };
      writeFileSync(file, JSON.stringify(def, null, 2));
    });

    after(async () => {
      await new Promise((ok) => server.close(ok));
      rmSync(root, { recursive: true, force: true });
    });

    beforeEach(() => {
      store = new SqliteStore({ file: ":memory:" });
      const catalogue = new Catalogue([definition()]);
      setHubContext({
        store,
        workers: undefined as unknown as Workers,
        env: "sandbox",
        providersRoot: join(root, "providers"),
        logger: createLogger("silent"),
        catalogue,
      });
    });

    afterEach(async () => {
      await helper.unload();
      setHubContext(undefined);
      await store.close();
    });

    // The stages a service's flow has around its call (README, "Wire a service as a flow"). One
    // Catch node takes the call's refusals and the updates' errors (the test helper loads a core
    // node once per node of its type: one of each).
    const flow = [
      { id: "f1", type: "tab", label: SERVICE },
      {
        id: "p",
        z: "f1",
        type: "wasl-provider",
        name: "MoI",
        code: "moi-test",
        environment: "",
      },
      {
        id: "n-call",
        z: "f1",
        type: "wasl-call",
        name: "issue",
        provider: "p",
        operation: "issueCertificate",
        input: "input",
        orderIdProperty: "orderId",
        wires: [["n-map-out"]],
      },
      {
        id: "n-map-out",
        z: "f1",
        type: "wasl-map",
        name: "answer → results",
        property: "results",
        schema: "order",
        def: "Results",
        expression:
          '{ "documents": [], "providerReferences": [{ "provider": "moi-test", "reference": payload.reference }], "data": { "reference": payload.reference, "holder": payload.name } }',
        wires: [["n-completed"]],
      },
      {
        id: "n-completed",
        z: "f1",
        type: "wasl-order-update",
        status: "provider-completed",
        complete: false,
        wires: [["done"]],
      },
      {
        id: "k",
        z: "f1",
        type: "catch",
        scope: ["n-call", "n-completed", "n-rejected"],
        uncaught: false,
        wires: [["n-refused"]],
      },
      {
        id: "n-refused",
        z: "f1",
        type: "switch",
        property: "error.code",
        propertyType: "msg",
        rules: [{ t: "eq", v: "business-refusal", vt: "str" }, { t: "else" }],
        checkall: "false",
        outputs: 2,
        wires: [["n-reason"], ["caught"]],
      },
      {
        id: "n-reason",
        z: "f1",
        type: "change",
        rules: [
          {
            t: "set",
            p: "reason",
            pt: "msg",
            to: '{"code": wasl.error.reason}',
            tot: "jsonata",
          },
        ],
        wires: [["n-rejected"]],
      },
      {
        id: "n-rejected",
        z: "f1",
        type: "wasl-order-update",
        status: "rejected",
        reason: "provider-refused",
        complete: false,
        wires: [["done"]],
      },
      { id: "done", z: "f1", type: "helper" },
      { id: "caught", z: "f1", type: "helper" },
    ];

    type Helper = {
      on(ev: "input", cb: (msg: Record<string, unknown>) => void): void;
      receive(msg: unknown): void;
    };
    const node = (id: string) => helper.getNode(id) as unknown as Helper;
    const next = (id: string) =>
      new Promise<Record<string, unknown>>((ok) => node(id).on("input", ok));

    /** An order submitted to the provider, and the flow run on it: what comes out of `done` or `caught`. */
    async function run(
      nationalNumber: string,
      withDefinition = true,
    ): Promise<{
      order: Order;
      out: Record<string, unknown>;
      at: "done" | "caught";
    }> {
      await helper.load(
        [
          waslProvider,
          waslCall,
          waslMap,
          waslOrderUpdate,
          switchNode,
          changeNode,
        ],
        flow,
      );
      const { order } = await store.createOrder(newOrder(), {
        channel: "c",
        key: newKey(),
        requestHash: "h",
      });
      await store.transition(order.id, {
        to: "submitted-to-provider",
        actor: { kind: "system", id: "test" },
      });
      const out = Promise.race([
        next("done").then((m) => ({ out: m, at: "done" as const })),
        next("caught").then((m) => ({ out: m, at: "caught" as const })),
      ]);
      node("n-call").receive({
        orderId: order.id,
        input: { body: { nationalNumber } },
        ...(withDefinition ? { service: definition() } : {}),
      });
      const r = await out;
      return { order: (await store.getOrder(order.id))!, ...r };
    }

    it("stores valid result data with the step that completes the order", async () => {
      const { order, at } = await run("01020304050");
      assert.equal(at, "done");
      assert.equal(order.status, "provider-completed");
      assert.deepEqual(order.results.data, {
        reference: "CERT-1",
        holder: HOLDER,
      });
      assert.deepEqual(order.results.providerReferences, [
        { provider: "moi-test", reference: "CERT-1" },
      ]);
    });

    it("refuses result data that does not match the declared schema: the flow's error, naming pointers, nothing stored", async () => {
      const { order, out, at } = await run("00000000666");
      assert.equal(at, "caught");
      const error = out.error as {
        code: string;
        message: string;
        source: { id: string };
      };
      assert.equal(error.code, "result-mismatch");
      assert.equal(error.source.id, "n-completed");
      assert.deepEqual(
        (out.errors as Array<{ pointer: string }>).map((e) => e.pointer),
        ["/results/data/reference"],
      );
      assert.doesNotMatch(
        error.message,
        /not a reference/,
        "the value is not repeated",
      );
      assert.doesNotMatch(JSON.stringify(out.errors), /not a reference/);
      assert.equal(
        order.status,
        "submitted-to-provider",
        "the step is not stored",
      );
      assert.equal(order.results.data, undefined);
    });

    it("a refusal whose rule has a message: the order is rejected with it, in Arabic and English", async () => {
      const { order, at } = await run("00000000404");
      assert.equal(at, "done");
      assert.equal(order.status, "rejected");
      assert.deepEqual(order.rejection, {
        reason: "person-not-found",
        provider: "moi-test",
        providerCode: "PERSON_NOT_FOUND",
        message: {
          ar: "لا يوجد قيد لهذا الشخص",
          en: "No record of this person",
        },
      });
      assert.deepEqual(
        order.statusReason,
        { code: "person-not-found" },
        "the reason is the code the flow gives, as before",
      );
    });

    it("a refusal whose rule has no message: the default message, naming the reason", async () => {
      const { order } = await run("00000000409", false);
      assert.equal(order.status, "rejected");
      assert.deepEqual(order.rejection, {
        reason: "record-sealed",
        provider: "moi-test",
        providerCode: "RECORD_SEALED",
        message: defaultRefusalMessage("record-sealed"),
      });
      assert.equal(
        order.rejection?.message.en,
        "The ministry refused the request (code: record-sealed)",
      );
      assert.match(
        order.rejection!.message.ar,
        /^رفضت الوزارة الطلب .*record-sealed/,
      );
    });

    it("a refusal the service words itself: the service's message for that provider and reason", async () => {
      const { order } = await run("00000000410");
      assert.equal(order.status, "rejected");
      assert.deepEqual(order.rejection?.message, {
        ar: "صاحب القيد متوفى: راجع أمانة السجل المدني",
        en: "The person is deceased: visit the civil registry office",
      });
    });
  });

  describe("the checks, one by one", () => {
    const catalogue = () => new Catalogue([definition()]);

    it("refuses data a service does not declare, data too large, and names what does not match", () => {
      const undeclared = new Catalogue([
        { ...definition(), result: undefined } as ServiceDefinition,
      ]).get(SERVICE);
      assert.deepEqual(
        checkResultData(undeclared, { reference: "CERT-1" }).ok,
        false,
      );
      assert.equal(
        (checkResultData(undeclared, {}) as { code: string }).code,
        "result-undeclared",
      );
      assert.equal(
        (checkResultData(undefined, {}) as { code: string }).code,
        "result-undeclared",
      );
      const service = catalogue().get(SERVICE);
      assert.deepEqual(
        checkResultData(service, {
          reference: "CERT-7",
          holder: HOLDER,
          registered: true,
        }),
        { ok: true },
      );
      assert.equal(
        (
          checkResultData(service, {
            reference: "CERT-7",
            holder: "x".repeat(MAX_RESULT_BYTES),
          }) as { code: string }
        ).code,
        "result-too-large",
      );
      const bad = checkResultData(service, {
        reference: "CERT-7",
        holder: HOLDER,
        nationalNumber: "01020304050",
      });
      assert.equal(bad.ok, false);
      assert.deepEqual(!bad.ok && bad.errors.map((e) => e.pointer), [
        "/results/data/nationalNumber",
      ]);
    });

    it("checks a result schema when the catalogue loads: closed, bounded, its patterns linear, its examples valid", () => {
      const withSchema = (schema: unknown) => () =>
        new Catalogue([
          { ...definition(), result: { schema } } as ServiceDefinition,
        ]);
      assert.throws(
        withSchema({ type: "object", properties: {} }),
        /invalid definition: \/result\/schema\/additionalProperties is required/,
      );
      assert.throws(
        withSchema({
          type: "array",
          properties: {},
          additionalProperties: false,
        }),
        /invalid definition/,
      );
      const many = Object.fromEntries(
        Array.from({ length: 65 }, (_, i) => [`f${i}`, { type: "string" }]),
      );
      assert.throws(
        withSchema({
          type: "object",
          properties: many,
          additionalProperties: false,
        }),
        /invalid definition: \/result\/schema\/properties/,
      );
      const big = {
        type: "object",
        additionalProperties: false,
        properties: { a: { type: "string", description: "x".repeat(17_000) } },
      };
      assert.throws(
        withSchema(big),
        /result schema is larger than 16384 bytes/,
      );
      assert.throws(
        withSchema({
          type: "object",
          additionalProperties: false,
          properties: { a: { type: "string", pattern: "^(a+)+\\1$" } },
        }),
        /result schema does not compile/,
      );
      assert.throws(
        withSchema({
          type: "object",
          additionalProperties: false,
          properties: { a: { $ref: "https://evil.example/schema.json" } },
        }),
        /result schema does not compile/,
      );
      assert.throws(
        withSchema({
          type: "object",
          additionalProperties: false,
          properties: { a: { type: "string" } },
          examples: [{ a: 1 }],
        }),
        /result example 0 is invalid: \/a/,
      );
      assert.deepEqual(
        catalogueEntry(definition()).result,
        definition().result,
        "GET /v1/services shows what a service gives back",
      );
    });

    it("carries the rule's message on the refusal as journaled, so a redelivery finds it too", () => {
      const rules = {
        rules: [
          {
            faultCode: "E1",
            reason: "person-not-found",
            message: { ar: "لا يوجد قيد", en: "No record" },
          },
          { faultCode: "E2", reason: "record-sealed" },
        ],
      };
      const withText = recordFailure(
        mapRefusal(
          rules,
          { faultCode: "E1" },
          { provider: "moi-test", providerMessage: "Ahmad not found" },
        ),
      );
      assert.deepEqual(withText.text, { ar: "لا يوجد قيد", en: "No record" });
      assert.equal(
        JSON.stringify(withText).includes("Ahmad"),
        false,
        "the provider's own text is not kept",
      );
      assert.equal(
        "text" in
          recordFailure(
            mapRefusal(rules, { faultCode: "E2" }, { provider: "moi-test" }),
          ),
        false,
      );
    });

    it("picks the message: the service for that provider and reason, else the rule, else the default", () => {
      const def = definition();
      def.refusals = [
        {
          reason: "person-deceased",
          message: { ar: "أ", en: "service, own provider" },
        },
        {
          provider: "sy-epay",
          reason: "card-declined",
          message: { ar: "ب", en: "service, other provider" },
        },
      ];
      const rule = { ar: "ج", en: "rule" };
      assert.equal(
        rejectionFor(def, {
          provider: "moi-test",
          reason: "person-deceased",
          text: rule,
        }).message.en,
        "service, own provider",
      );
      assert.equal(
        rejectionFor(def, {
          provider: "sy-epay",
          reason: "card-declined",
          text: rule,
        }).message.en,
        "service, other provider",
      );
      assert.equal(
        rejectionFor(def, {
          provider: "other",
          reason: "person-deceased",
          text: rule,
        }).message.en,
        "rule",
        "the override is for its provider only",
      );
      assert.equal(
        rejectionFor(def, { provider: "moi-test", reason: "x-y" }).message.en,
        "The ministry refused the request (code: x-y)",
      );
      assert.deepEqual(
        rejectionFor(undefined, {
          provider: "moi-test",
          reason: "Not A Code <b>",
        }),
        {
          reason: "refused",
          provider: "moi-test",
          message: defaultRefusalMessage("refused"),
        },
      );
    });
  });

  /** The API, the receipt and the dashboard on a back end. */
  function apiSuite(
    openStore: () => Promise<Store | undefined>,
    cleanup: () => Promise<void> = async () => undefined,
  ) {
    return async () => {
      const cost = { N: 1024, r: 8, p: 1 };
      const hub = await testHub(
        {
          operators: [
            {
              user: "maha",
              passwordHash: await hashPassword("operator-password", cost),
              role: "operator",
            },
          ],
        },
        await openStore(),
      );
      try {
        const submit = async () => {
          const res = await hub.app.inject({
            method: "POST",
            url: "/v1/orders",
            headers: { ...auth(KEYS.centre), "idempotency-key": newKey() },
            payload: validRequest(),
          });
          assert.equal(res.statusCode, 202, res.body);
          return res.json<Order>();
        };
        const system = { kind: "system" as const, id: "flow:test" };
        const secret = "Record-7731-Qasem";

        // A paid order (with its receipt) the ministry completes with result data.
        const o = await submit();
        await hub.store.transition(o.id, {
          to: "awaiting-payment",
          actor: system,
        });
        const at = new Date().toISOString();
        const def = hub.catalogue.get(SERVICE)!.definition;
        await hub.store.transition(o.id, {
          to: "paid",
          actor: system,
          receipt: {
            orderId: o.id,
            service: { code: SERVICE, names: def.names },
            amount: o.fees.total,
            currency: "SYP",
            provider: {
              code: "sy-epay",
              names: { ar: "الدفع الإلكتروني", en: "e-payment" },
            },
            providerReference: "TX-1",
            paidAt: at,
            issuedAt: at,
            title: { ar: "وصل دفع", en: "Payment receipt" },
            labels: RECEIPT_LABELS,
          },
        });
        await hub.store.transition(o.id, {
          to: "submitted-to-provider",
          actor: system,
        });
        const data = {
          reference: "CERT-9",
          holder: HOLDER,
          note: secret,
          copies: 2,
        };
        await hub.store.transition(o.id, {
          to: "provider-completed",
          actor: system,
          patch: { results: { documents: [], providerReferences: [], data } },
        });

        const read = await hub.app.inject({
          url: `/v1/orders/${o.id}`,
          headers: auth(KEYS.centre),
        });
        assert.equal(read.statusCode, 200);
        assert.deepEqual(read.json<Order>().results.data, data);
        const receipt = (
          await hub.app.inject({
            url: `/v1/orders/${o.id}/receipt`,
            headers: auth(KEYS.centre),
          })
        ).json<Receipt>();
        assert.deepEqual(receipt.result?.data, data);
        assert.deepEqual(
          receipt.result?.labels.reference,
          { ar: "reference", en: "reference" },
          "a field the service does not label shows its name",
        );
        assert.deepEqual(receipt.labels.result, {
          ar: "نتيجة الطلب",
          en: "Result",
        });
        assert.equal(receipt.rejection, undefined);

        // A paid order the ministry refuses.
        const r = await submit();
        await hub.store.transition(r.id, {
          to: "awaiting-payment",
          actor: system,
        });
        await hub.store.transition(r.id, {
          to: "paid",
          actor: system,
          receipt: {
            orderId: r.id,
            service: receipt.service,
            amount: r.fees.total,
            currency: "SYP",
            provider: receipt.provider,
            providerReference: "TX-2",
            paidAt: at,
            issuedAt: at,
            title: receipt.title,
            labels: RECEIPT_LABELS,
          },
        });
        await hub.store.transition(r.id, {
          to: "submitted-to-provider",
          actor: system,
        });
        const rejection = rejectionFor(def, {
          provider: "moi-civil-registry",
          reason: "person-not-found",
          providerCode: "E404",
          text: {
            ar: "لا يوجد قيد لهذا الشخص",
            en: "No record of this person",
          },
        });
        await hub.store.transition(r.id, {
          to: "rejected",
          actor: system,
          reason: { code: "person-not-found", message: rejection.message },
          patch: { rejection },
        });
        const rejected = (
          await hub.app.inject({
            url: `/v1/orders/${r.id}`,
            headers: auth(KEYS.centre),
          })
        ).json<Order>();
        assert.deepEqual(rejected.rejection, {
          reason: "person-not-found",
          provider: "moi-civil-registry",
          providerCode: "E404",
          message: {
            ar: "لا يوجد قيد لهذا الشخص",
            en: "No record of this person",
          },
        });
        const refusedReceipt = (
          await hub.app.inject({
            url: `/v1/orders/${r.id}/receipt`,
            headers: auth(KEYS.centre),
          })
        ).json<Receipt>();
        assert.deepEqual(refusedReceipt.rejection, rejected.rejection);
        assert.deepEqual(refusedReceipt.labels.rejection, {
          ar: "سبب الرفض",
          en: "Reason for refusal",
        });

        // The dashboard's order page: the result with its labels, the refusal.
        const operator = {
          authorization: `Basic ${Buffer.from("maha:operator-password").toString("base64")}`,
        };
        const page = (
          await hub.app.inject({
            url: `/monitor/api/orders/${o.id}`,
            headers: operator,
          })
        ).json<{ order: Order; resultLabels: Record<string, unknown> }>();
        assert.deepEqual(page.order.results.data, data);
        assert.deepEqual(
          Object.keys(page.resultLabels).sort(),
          Object.keys(data).sort(),
        );
        assert.deepEqual(
          (
            await hub.app.inject({
              url: `/monitor/api/orders/${r.id}`,
              headers: operator,
            })
          ).json<{ order: Order }>().order.rejection,
          rejected.rejection,
        );
        const html = (
          await hub.app.inject({ url: "/monitor", headers: operator })
        ).body;
        assert.match(html, /order\.rejection/);
        assert.match(html, /resultLabels/);

        // Result data may be a citizen's: never in the logs, nor in the audit trail.
        assert.equal(
          hub.logs.lines.some((l) => l.includes(secret)),
          false,
          "not logged",
        );
        assert.equal(
          JSON.stringify(await hub.store.readAudit({ limit: 10_000 })).includes(
            secret,
          ),
          false,
          "not in the audit trail",
        );
      } finally {
        await hub.close();
        await cleanup();
      }
    };
  }

  describe("on SQLite", () => {
    it(
      "GET /v1/orders/{id}, the receipt and the dashboard show the result and the refusal (SQLite)",
      apiSuite(async () => undefined),
    );
  });

  describe("on PostgreSQL", function () {
    before(async function () {
      await requirePostgres(this);
    });
    const schema = `wasl_test_${randomBytes(6).toString("hex")}`;
    it(
      "GET /v1/orders/{id}, the receipt and the dashboard show the result and the refusal (PostgreSQL)",
      apiSuite(
        () => PostgresStore.open({ connectionString: PG_URL, schema }),
        () => dropSchema(schema),
      ),
    );
  });

  describe("the receipt", () => {
    it("lists the fields of the result with the labels the service gives them", () => {
      const order = {
        results: {
          documents: [],
          providerReferences: [],
          data: { reference: "CERT-1", holder: HOLDER },
        },
      } as unknown as Order;
      const receipt = {
        number: "R-2026-0000001",
        labels: RECEIPT_LABELS,
      } as Receipt;
      const shown = receiptWithOutcome(receipt, order, definition());
      assert.deepEqual(shown.result?.labels, {
        reference: { ar: "رقم الوثيقة", en: "Document number" },
        holder: { ar: "صاحب القيد", en: "Holder" },
      });
      assert.equal(
        receipt.result,
        undefined,
        "the stored receipt is left as it is",
      );
    });
  });
});
