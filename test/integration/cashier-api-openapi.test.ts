import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cashierApi } from "../../src/api/cashier-routes.ts";
import { API_GROUPS, EARLIER_API_GROUPS, openapiPath } from "../../src/api/openapi.ts";
import { startTestHub, type TestHub } from "../support/test-hub.ts";
import { AUTOMATION_TOKEN, staffApi } from "./cashier-api-client.ts";

// The OpenAPI document is written from the same zod specs that validate the routes: these tests fail when the
// document and what the routes accept drift apart.

let hub: TestHub;
let api: ReturnType<typeof staffApi>;
let document: Record<string, any>;

beforeAll(async () => {
  hub = await startTestHub();
  api = staffApi(hub);
  document = await api.expectStatus(200, "GET", "/api/openapi.json");
});
afterAll(async () => {
  await hub?.stop();
});

const registry = API_GROUPS.flatMap((group) => Object.entries(group.routes).map(([name, spec]) => ({ name, spec, path: openapiPath(group.base + spec.path) })));

/** The fields a 400 answer names: "body.shiftId: is required; body.amount: …". */
const namedFields = (message: string, where: string) => new Set([...message.matchAll(new RegExp(`${where}\\.([A-Za-z]+):`, "g"))].map((match) => match[1]));

/** A path with every {param} filled by a value its schema accepts. */
const concrete = (path: string) => path.replace(/\{login\}/, "kassir1").replace(/\{[a-z]+\}/g, "1");

describe("GET /api/openapi.json", () => {
  it("is an OpenAPI 3.1 document, served without a token, with the bearer scheme", () => {
    expect(document).toMatchObject({ openapi: "3.1.0", components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } });
  });

  it.each(registry.map((route) => [`${route.spec.method.toUpperCase()} ${route.path}`, route] as const))("lists %s with its summary, role and responses", (_name, route) => {
    const operation = document.paths[route.path]?.[route.spec.method];
    expect(operation).toMatchObject({ summary: route.spec.summary });
    expect(operation.security).toEqual(route.spec.auth === "public" ? [] : [{ bearer: [] }]);
    expect(Object.keys(operation.responses).sort()).toEqual(Object.keys(route.spec.responses).sort());
    expect(Boolean(operation.requestBody)).toBe(Boolean(route.spec.body));
  });

  it("lists the /api routes written before the registry", () => {
    const listed = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations as object).map((method) => `${method.toUpperCase()} ${path}`));
    expect(listed).toEqual(
      expect.arrayContaining([
        "GET /api/accounts/{number}",
        "PUT /api/accounts/{number}",
        "GET /api/payments",
        "GET /api/payments/{id}",
        "POST /api/payments/{id}/retry",
        "POST /api/qiwi-bills",
        "POST /api/arsenalpay/links",
        "POST /api/autopayments",
        "GET /api/autopayments",
        "DELETE /api/autopayments/{id}",
        "POST /api/card/orders",
      ]),
    );
    expect(listed).toHaveLength(registry.length + 11);
  });
});

describe("the document and the routes agree", () => {
  const withBody = registry.filter((route) => route.spec.body);

  it.each(withBody.map((route) => [`${route.spec.method.toUpperCase()} ${route.path}`, route] as const))(
    "%s: an empty body is refused naming exactly the fields the document marks required",
    async (_name, route) => {
      const required: string[] = document.paths[route.path][route.spec.method].requestBody.content["application/json"].schema.required;
      expect(required.length).toBeGreaterThan(0);
      const answer = await api.call(route.spec.method.toUpperCase(), concrete(route.path), AUTOMATION_TOKEN, {});
      expect(answer).toMatchObject({ status: 400, json: { error: "bad_request" } });
      expect(namedFields(answer.json!.message, "body")).toEqual(new Set(required));
    },
  );

  it("POST /api/cashier/payments: each field the document requires is refused when missing, and a body with all of them passes validation", async () => {
    const schema = document.paths["/api/cashier/payments"].post.requestBody.content["application/json"].schema;
    expect(new Set(schema.required)).toEqual(new Set(["shiftId", "receiptNumber", "account", "amount"]));
    const body: Record<string, unknown> = { shiftId: "1", receiptNumber: 1, account: "100080", amount: "500.00" };
    expect(Object.keys(body).sort()).toEqual(Object.keys(schema.properties).sort());
    for (const field of schema.required as string[]) {
      const { [field]: _missing, ...rest } = body;
      const answer = await api.call("POST", "/api/cashier/payments", AUTOMATION_TOKEN, rest);
      expect({ field, status: answer.status, named: [...namedFields(answer.json!.message, "body")] }).toEqual({ field, status: 400, named: [field] });
    }
    // Valid input reaches the core, which refuses the automation token: it has no desk.
    expect(await api.call("POST", "/api/cashier/payments", AUTOMATION_TOKEN, body)).toMatchObject({ status: 403, json: { error: "staff_only" } });
    expect(cashierApi.routes.takePayment.body.safeParse(body).success).toBe(true);
  });

  it("GET /api/cashier/accounts: the query parameter the document requires is refused when missing", async () => {
    const parameters: { name: string; required: boolean }[] = document.paths["/api/cashier/accounts"].get.parameters;
    expect(parameters).toEqual([expect.objectContaining({ name: "q", in: "query", required: true })]);
    expect(await api.call("GET", "/api/cashier/accounts", AUTOMATION_TOKEN)).toMatchObject({ status: 400, json: { message: expect.stringContaining("query.q:") } });
    const found = await api.expectStatus(200, "GET", "/api/cashier/accounts?q=100080", AUTOMATION_TOKEN);
    expect(found.accounts).toEqual([expect.objectContaining({ number: "100080", ownerName: "И***в И. И.", balance: "0.00" })]);
  });
});

/** A layer of an Express router stack (router 2.x): a route, a mounted router, or middleware. */
interface StackLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: StackLayer[] };
}

/** Every route the app mounts, as "METHOD /path/{param}", found by walking the routers' stacks. */
function mountedRoutes(stack: StackLayer[], prefix = ""): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      expect(typeof layer.route.path, `a route under ${prefix || "/"} has a string path`).toBe("string");
      const path = openapiPath(prefix + String(layer.route.path));
      return Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${path}`);
    }
    if (!layer.handle.stack) return [];
    expect(typeof layer.rawPath, `a router mounted under ${prefix || "/"} has a string path`).toBe("string");
    const mount = layer.rawPath === "/" ? "" : String(layer.rawPath);
    return mountedRoutes(layer.handle.stack, prefix + mount);
  });
}

describe("the document lists what the app mounts", () => {
  const documented = () => Object.entries(document.paths as Record<string, object>).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));

  it("every /api route the app mounts is in the document, and every route the document lists is mounted", () => {
    // The server's listener is the webhook front; the Express application behind it is its `app`.
    const { app } = hub.hub.server!.listeners("request")[0] as unknown as { app: { router: { stack: StackLayer[] } } };
    const mounted = new Set(mountedRoutes(app.router.stack).filter((route) => / \/api(\/|$)/.test(route)));
    // The routers' stacks hold the staff pages and the API: the API's groups are all there.
    expect(mounted.size).toBeGreaterThan(40);
    expect([...mounted].filter((route) => !documented().includes(route))).toEqual([]);
    expect(documented().filter((route) => !mounted.has(route))).toEqual([]);
  });

  it("every operation answers JSON of a documented schema for each of its statuses (204 has no body; the two downloads are files)", () => {
    // The reconciliation's and the registries' CSV and a transfer's evidence file: described in words, their errors JSON.
    const files = new Set(["GET /api/reports/reconciliation.csv 200", "GET /api/registries/open-items.csv 200", "GET /api/transfers/{id}/evidence/{evidenceId} 200"]);
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses);
        if (!statuses.some((status) => /^2\d\d$/.test(status))) missing.push(`${method.toUpperCase()} ${path}: no success status`);
        for (const status of statuses) {
          const name = `${method.toUpperCase()} ${path} ${status}`;
          if (status === "default") missing.push(`${name}: a default answer instead of its statuses`);
          else if (status === "204" || files.has(name)) continue;
          else if (!operation.responses[status]!.content?.["application/json"]?.schema) missing.push(`${name}: no JSON schema`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("the routes written before the registry are declared in it too, with their request schemas", () => {
    const earlier = EARLIER_API_GROUPS.flatMap((group) => Object.values(group.routes).map((spec) => `${spec.method.toUpperCase()} ${openapiPath(group.base + spec.path)}`));
    expect(earlier).toHaveLength(11);
    expect(documented()).toEqual(expect.arrayContaining(earlier));
    const put = document.paths["/api/accounts/{number}"].put;
    expect(new Set(put.requestBody.content["application/json"].schema.required)).toEqual(new Set(["ownerName"]));
    expect(put.parameters).toEqual([expect.objectContaining({ name: "number", in: "path", required: true })]);
    expect(document.paths["/api/autopayments"].get.parameters).toEqual([expect.objectContaining({ name: "account", in: "query", required: true })]);
  });
});
