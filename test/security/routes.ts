/**
 * Every route the running hub answers, listed from the running servers themselves rather than
 * from a list kept by hand, so that a route added tomorrow is probed tomorrow:
 *
 *  - the gateway's: the routes of its Fastify router (find-my-way keeps every route it was
 *    given; the router is reached through `hasRoute`, which asks it);
 *  - the flows runtime's, under /red and /svc: Node-RED's Express apps — the editor, the admin
 *    API, the nodes' own endpoints (wasl's /red/wasl/providers among them) and the flows' HTTP
 *    endpoints. Express keeps no link from an app to the apps mounted in it, so every Express app
 *    made while the runtime starts is recorded (`recordExpressApps`), and each one's place is
 *    rebuilt from its `mountpath` and `parent`.
 *
 * For each route, a concrete path that the route's own regular expression matches is generated
 * (randexp), so that routes written as patterns are probed too.
 */
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import RandExp from 'randexp';
import type { HubConfig } from '../../hub/config';
import { hashPassword } from '../../hub/operators';

export interface Route {
  method: string;
  /** The route as registered (`/v1/orders/:id`, `/red/nodes/<regexp>`): what allow-lists name. */
  route: string;
  /** A concrete path the route answers. */
  path: string;
}

// ───────────────────────────── the gateway (Fastify) ─────────────────────────────

interface FmwRoute {
  method: string;
  path: string;
  store?: { config?: { url?: string } };
}

/** Every (method, route) of the gateway's router. */
export function gatewayRoutes(app: FastifyInstance): Route[] {
   
  const Router = require(require.resolve('find-my-way', { paths: [dirname(require.resolve('fastify'))] })) as { prototype: Record<string, unknown> };
  const findRoute = Router.prototype.findRoute as (this: unknown, ...a: unknown[]) => unknown;
  let router: { routes: FmwRoute[] } | undefined;
  Router.prototype.findRoute = function (this: { routes: FmwRoute[] }, ...a: unknown[]) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the router is what this probe is after
    router ??= this;
    return findRoute.apply(this, a);
  };
  try {
    app.hasRoute({ method: 'GET', url: '/health' });
  } finally {
    Router.prototype.findRoute = findRoute;
  }
  if (!router || !Array.isArray(router.routes)) throw new Error("could not reach the gateway's router: adapt test/security/routes.ts to this Fastify");
  return router.routes.map((r) => {
    const route = r.store?.config?.url ?? r.path;
    return { method: r.method, route, path: concrete(route) };
  });
}

/** A path for a Fastify route: parameters and wildcards given harmless values. */
function concrete(route: string): string {
  return route.replace(/:provider\b/g, 'sy-epay').replace(/:action\b/g, 'replay').replace(/:id\b/g, 'ord_01JZ3K5Q0Z8Y7X6W5V4T3S2R1Q').replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'probe');
}

// ───────────────────────────── the flows runtime (Express) ─────────────────────────────

interface ExpressLayer {
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  name: string;
  regexp: RegExp & { fast_slash?: boolean };
  handle: { stack?: ExpressLayer[] };
}

interface ExpressApp {
  mountpath?: string | string[];
  parent?: ExpressApp;
  _router?: { stack: ExpressLayer[] };
}

/** Records every Express app made until `stop` is called. */
export function recordExpressApps(): { apps: ExpressApp[]; stop(): void } {
   
  const express = require('express') as { application: { init(this: ExpressApp): void } };
  const init = express.application.init;
  const apps: ExpressApp[] = [];
  express.application.init = function (this: ExpressApp) {
    apps.push(this);
    return init.call(this);
  };
  return { apps, stop: () => void (express.application.init = init) };
}

/**
 * The routes of the recorded apps reachable from the app mounted at one of `roots` (the
 * runtime's /red and /svc), with the full path from the gateway's root.
 */
export function expressRoutes(apps: ExpressApp[], roots: string[]): Route[] {
  const prefixOf = (app: ExpressApp): string | undefined => {
    const chain: string[] = [];
    for (let a: ExpressApp | undefined = app; a; a = a.parent) {
      const mount = Array.isArray(a.mountpath) ? a.mountpath[0] : a.mountpath;
      if (mount === undefined || a.parent === undefined) {
        // The outermost app: it is what the gateway hands /red and /svc to, at its root.
        return chain.reverse().join('').replace(/\/+/g, '/');
      }
      chain.push(mount === '/' ? '' : mount);
    }
    return undefined;
  };
  const out: Route[] = [];
  for (const app of apps) {
    const prefix = prefixOf(app);
    if (prefix === undefined || !roots.some((r) => prefix === r || prefix.startsWith(`${r}/`))) continue;
    collect(app._router?.stack ?? [], prefix, out);
  }
  return out;
}

function collect(stack: ExpressLayer[], prefix: string, out: Route[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const shown = typeof layer.route.path === 'string' ? layer.route.path : `<${layer.route.path.source}>`;
      const path = sample(layer.regexp);
      for (const m of Object.keys(layer.route.methods)) {
        if (m === '_all') continue;
        out.push({ method: m.toUpperCase(), route: `${prefix}${shown}`, path: `${prefix}${path}` });
      }
    } else if (layer.name === 'router' && layer.handle.stack) {
      // A Router mounted with use(path, router): its prefix is only in the layer's expression.
      collect(layer.handle.stack, `${prefix}${layer.regexp.fast_slash ? '' : sample(layer.regexp)}`, out);
    }
  }
}

/** A path `re` matches: letters and digits where the expression leaves the choice open. */
export function sample(re: RegExp): string {
  // randexp reads a lazy quantifier (`+?`) as an optional group; what matches is the same without it.
  const gen = new RandExp(re.source.replace(/([+*}])\?/g, '$1'));
  gen.max = 3;
  gen.defaultRange.subtract(32, 126);
  gen.defaultRange.add(97, 122);
  for (let i = 0; i < 20; i++) {
    // Express's expressions end in an optional slash and a lookahead; the sample is a path without them.
    const s = gen.gen().replace(/\/+$/, '') || '/';
    if (re.test(s) && !s.includes('//')) return s;
  }
  throw new Error(`no path sample for ${re.source}: probe it by hand in test/security`);
}

/** The three operator roles, each with `password` (a cheap scrypt cost: tests log in often). */
export async function threeOperators(password: string): Promise<NonNullable<HubConfig['operators']>> {
  const passwordHash = await hashPassword(password, { N: 1024, r: 8, p: 1 });
  return [
    { user: 'rana', passwordHash, role: 'admin' },
    { user: 'maha', passwordHash, role: 'operator' },
    { user: 'sami', passwordHash, role: 'viewer' },
  ];
}
