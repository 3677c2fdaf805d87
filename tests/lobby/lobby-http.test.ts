import { describe, expect, test } from "bun:test";
import { lobbyHealth } from "../../protocol/lobby.ts";
import { lobbyHarness } from "./lobby-harness.ts";

const h = lobbyHarness();

describe("the lobby's HTTP surface and its stop", () => {
  test("/health tells the lobby's id, instance and counts", async () => {
    const lobby = await h.lobby();
    await h.node(lobby);
    const res = await fetch(`${lobby.url}/health`);
    expect(res.status).toBe(200);
    const health = lobbyHealth.parse(await res.json());
    expect(health).toMatchObject({
      status: "ok",
      lobby_id: lobby.lobbyId,
      instance: "test",
      nodes: 1,
      rooms: 0,
    });
  });

  test("the status page shows counts and the lobby id but no node's name or address", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby, { name: "Secret Name", addresses: ["ws://192.0.2.44:7420/peer-ws"] });
    a.send({ type: "create_room", name: "Hidden Room Name", visibility: "public", policy: "open" });
    await a.next("room_created");
    const res = await fetch(`${lobby.url}/`);
    expect(res.headers.get("content-type")).toContain("text/html");
    const page = await res.text();
    expect(page).toContain(lobby.lobbyId);
    expect(page).toContain("nodes online");
    for (const secret of ["Secret Name", "192.0.2.44", a.id, "Hidden Room Name"])
      expect(page).not.toContain(secret);
  });

  test("every other path is 404 and a plain GET of /lobby-ws asks for an upgrade", async () => {
    const lobby = await h.lobby();
    for (const path of ["/api/health", "/ws", "/peer-ws", "/health/x", "/index.html"]) {
      expect((await fetch(`${lobby.url}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${lobby.url}/lobby-ws`)).status).toBe(426);
    expect((await fetch(`${lobby.url}/health`, { method: "POST", body: "{}" })).status).toBe(405);
  });

  test("stopping says goodbye to every socket, closes them with 1001 and ends quickly", async () => {
    const lobby = await h.lobby();
    const a = await h.node(lobby);
    const unregistered = await h.connect(lobby);
    const started = performance.now();
    await lobby.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await a.next("goodbye")).reason).toBe("shutdown");
    expect((await a.waitClose()).code).toBe(1001);
    expect((await unregistered.waitClose()).code).toBe(1001);
    expect(
      await fetch(`${lobby.url}/health`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
  });
});
