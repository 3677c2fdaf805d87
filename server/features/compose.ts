import type { Hono } from "hono";
import type { HttpEnv } from "../http/context.ts";
import type { Feature, FeatureApis, FeatureContext, FeatureDefinition } from "./feature.ts";

/** What composing features gives the node: their routes for the HTTP app, and their lifecycle. */
export interface ComposedFeatures {
  apis: FeatureApis;
  routes: Array<{ mount: string; app: Hono<HttpEnv> }>;
  /** Starts every feature in list order, each awaited. */
  start(): Promise<void>;
  /**
   * Stops the started features in reverse order, each awaited; a failing stop is logged and the
   * rest go on. Calling it again does nothing.
   */
  stop(): Promise<void>;
}

/**
 * Builds `definitions` in order over the node's shared parts and plugs in what each declares: its
 * browser channel, its peer message types, its capabilities. The node and the tests compose
 * features with this one function, so there is no second copy of the wiring.
 */
export function composeFeatures(
  definitions: readonly FeatureDefinition[],
  ctx: FeatureContext,
): ComposedFeatures {
  const built = new Map<FeatureDefinition, Feature>();
  const apis: FeatureApis = {
    get<Api>(definition: FeatureDefinition<Api>): Api {
      const feature = built.get(definition as FeatureDefinition);
      if (!feature)
        throw new Error(`the ${definition.name} feature must be listed before the features that use it`);
      return feature.api as Api;
    },
  };
  const routes: ComposedFeatures["routes"] = [];
  for (const definition of definitions) {
    const feature = definition.create(ctx, apis);
    built.set(definition, feature);
    if (feature.channel) {
      const { name, schema, handle } = feature.channel;
      ctx.browsers.channel(name, schema, handle);
    }
    for (const p of feature.peerTypes ?? []) {
      ctx.fabric.hub.handle(p.type, p.schema, p.handle, { fromAnyPeer: p.fromAnyPeer === true });
    }
    if (feature.capabilities) ctx.fabric.hub.advertise(...feature.capabilities);
    if (feature.routes) routes.push(feature.routes);
  }
  const started: Array<[string, Feature]> = [];
  return {
    apis,
    routes,
    async start() {
      for (const [definition, feature] of built) {
        await feature.start?.();
        started.push([definition.name, feature]);
      }
    },
    async stop() {
      for (const [name, feature] of started.splice(0).reverse()) {
        try {
          await feature.stop?.();
        } catch (err) {
          ctx.log.warn("a feature failed to stop", { feature: name, error: (err as Error).message });
        }
      }
    },
  };
}
