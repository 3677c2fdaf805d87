import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { composeFeatures } from "../../../server/features/compose.ts";
import { defineFeature, type FeatureContext, peerMessageType } from "../../../server/features/feature.ts";
import { createLogger } from "../../../server/log.ts";
import { BrowserHub } from "../../../server/ws/browser-hub.ts";

/** Just what composing touches: the browser hub, the hub's registry, the log. */
function fakeContext(lines: string[] = []) {
  const handled: string[] = [];
  const advertised: string[] = [];
  const log = createLogger("warn", (l) => lines.push(l));
  const ctx = {
    browsers: new BrowserHub(log),
    fabric: {
      hub: {
        handle: (type: string) => handled.push(type),
        advertise: (...c: string[]) => advertised.push(...c),
      },
    },
    log,
  } as unknown as FeatureContext;
  return { ctx, handled, advertised };
}

describe("composing features", () => {
  test("registers what each declares, starts them in order awaiting each, and stops them in reverse", async () => {
    const events: string[] = [];
    const make = (name: string) =>
      defineFeature({
        name,
        create: () => ({
          api: name,
          capabilities: [`${name}-cap`],
          peerTypes: [peerMessageType(`${name}_msg`, z.object({}), () => {})],
          async start() {
            await Bun.sleep(5);
            events.push(`start ${name}`);
          },
          async stop() {
            await Bun.sleep(5);
            events.push(`stop ${name}`);
          },
        }),
      });
    const [a, b] = [make("a"), make("b")];
    const { ctx, handled, advertised } = fakeContext();
    const composed = composeFeatures([a, b], ctx);
    expect(handled).toEqual(["a_msg", "b_msg"]);
    expect(advertised).toEqual(["a-cap", "b-cap"]);
    expect(composed.apis.get(b)).toBe("b");
    await composed.start();
    await composed.stop();
    await composed.stop();
    expect(events).toEqual(["start a", "start b", "stop b", "stop a"]);
  });

  test("a feature may use one listed before it, and naming one listed after it says so", () => {
    const first = defineFeature({ name: "first", create: () => ({ api: 41 }) });
    const second = defineFeature({ name: "second", create: (_ctx, f) => ({ api: f.get(first) + 1 }) });
    expect(composeFeatures([first, second], fakeContext().ctx).apis.get(second)).toBe(42);
    expect(() => composeFeatures([second, first], fakeContext().ctx)).toThrow(
      /first feature must be listed before/,
    );
  });

  test("a stop that fails is logged and the others still stop", async () => {
    const stopped: string[] = [];
    const lines: string[] = [];
    const ok = defineFeature({ name: "ok", create: () => ({ api: 0, stop: () => void stopped.push("ok") }) });
    const bad = defineFeature({
      name: "bad",
      create: () => ({
        api: 0,
        stop() {
          throw new Error("disk gone");
        },
      }),
    });
    const composed = composeFeatures([ok, bad], fakeContext(lines).ctx);
    await composed.start();
    await composed.stop();
    expect(stopped).toEqual(["ok"]);
    expect(lines.join("")).toContain("a feature failed to stop");
  });
});
