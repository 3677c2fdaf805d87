import { describe, expect, test } from "bun:test";
import { checkLocalRequest, isLoopbackAddress, type LocalRequest } from "../../../server/http/local-guard.ts";

const base: LocalRequest = {
  path: "/api/settings",
  method: "GET",
  remoteAddress: "127.0.0.1",
  host: "localhost:7420",
  origin: null,
  port: 7420,
  isUpgrade: false,
};

describe("local surface rule", () => {
  test("loopback means ::1, 127.0.0.0/8 and IPv4-mapped 127.x, nothing else", () => {
    for (const a of ["::1", "127.0.0.1", "127.8.9.10", "::ffff:127.0.0.1"])
      expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ["10.0.0.1", "::ffff:10.0.0.1", "192.168.1.2", "fe80::1", "", undefined, "128.0.0.1"]) {
      expect(isLoopbackAddress(a)).toBe(false);
    }
  });

  test("an unknown remote address is treated as foreign", () => {
    expect(checkLocalRequest({ ...base, remoteAddress: undefined }).ok).toBe(false);
  });

  test("peers may reach /peer-ws and anyone /api/health, whatever their Host", () => {
    for (const path of ["/peer-ws", "/api/health"]) {
      expect(
        checkLocalRequest({ ...base, path, remoteAddress: "192.168.1.9", host: "192.168.1.2:7420" }).ok,
      ).toBe(true);
    }
  });

  test("a Host that is not this node on loopback is refused, as a DNS-rebinding page would send", () => {
    expect(checkLocalRequest({ ...base, host: "evil.example:7420" })).toEqual({
      ok: false,
      reason: 'unexpected Host "evil.example:7420"',
    });
    expect(checkLocalRequest({ ...base, host: "localhost:7421" }).ok).toBe(false);
    expect(checkLocalRequest({ ...base, host: null }).ok).toBe(false);
    for (const host of ["localhost:7420", "127.0.0.1:7420", "[::1]:7420", "LOCALHOST:7420"]) {
      expect(checkLocalRequest({ ...base, host }).ok).toBe(true);
    }
  });

  test("state changes and upgrades need our own Origin; reads do not", () => {
    expect(checkLocalRequest({ ...base, method: "PUT" }).ok).toBe(false);
    expect(checkLocalRequest({ ...base, method: "PUT", origin: "http://evil.example" }).ok).toBe(false);
    expect(checkLocalRequest({ ...base, method: "POST", origin: "http://127.0.0.1:7420" }).ok).toBe(true);
    expect(
      checkLocalRequest({ ...base, path: "/ws", isUpgrade: true, origin: "http://localhost:7420" }).ok,
    ).toBe(true);
    expect(
      checkLocalRequest({ ...base, path: "/ws", isUpgrade: true, origin: "http://localhost:9999" }).ok,
    ).toBe(false);
    expect(checkLocalRequest({ ...base, path: "/ws", isUpgrade: true }).ok).toBe(false);
  });
});
