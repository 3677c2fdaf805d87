import { beforeAll, describe, expect, test } from "bun:test";
import { createHttpApp } from "../../../server/http/app.ts";
import { fromLoopback, realHttpContext, sameOriginHeaders } from "../../helpers/http-context.ts";

let ctx: Awaited<ReturnType<typeof realHttpContext>>;
let app: ReturnType<typeof createHttpApp>;
const PEER = "abcdefghijklmnop";
beforeAll(async () => {
  ctx = await realHttpContext();
  app = createHttpApp(ctx, { routes: ctx.routes, uiDir: "/nonexistent-ui" });
  ctx.fabric.peers.trust({
    nodeId: PEER,
    publicKey: Buffer.alloc(32, 7).toString("base64"),
    nodeName: "bob",
    via: "invite",
  });
});

const setPolicy = (id: string, body: unknown) =>
  app.request(
    `/api/network/peers/${id}/path-policy`,
    { method: "PUT", headers: sameOriginHeaders, body: JSON.stringify(body) },
    fromLoopback,
  );

describe("a peer's path policy over REST", () => {
  test("is stored, shown in the peer row and audited", async () => {
    const res = await setPolicy(PEER, { policy: "never-relay" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, peer: { node_id: PEER, path_policy: "never-relay" } });
    expect(ctx.fabric.peers.get(PEER)?.pathPolicy).toBe("never-relay");
    expect(ctx.fabric.audit.recent(10, "trust").some((e) => e.event === "path_policy")).toBe(true);
  });

  test("a policy that is not one of the three is a 400 and changes nothing", async () => {
    await setPolicy(PEER, { policy: "any" });
    const res = await setPolicy(PEER, { policy: "sometimes" });
    expect(res.status).toBe(400);
    expect(ctx.fabric.peers.get(PEER)?.pathPolicy).toBe("any");
  });

  test("an unknown peer is a 404", async () => {
    const res = await setPolicy("zzzzzzzzzzzzzzzz", { policy: "direct-only" });
    expect(res.status).toBe(404);
  });
});
