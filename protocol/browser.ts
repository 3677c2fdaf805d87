import { z } from "zod";

/**
 * The browser wire on `/ws`: `{ channel, event, data }` both ways. Each channel is a discriminated
 * union on `event`; the frame is first checked for its outer shape, then by its channel's union,
 * so an error can name what was wrong.
 */
export const browserFrameShape = z.object({
  channel: z.string().max(32),
  event: z.string().max(64),
  data: z.unknown(),
});

const empty = z.object({}).strict().default({});

export const systemClientEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("hello"), data: empty }),
]);

export const systemServerEvent = z.discriminatedUnion("event", [
  z.object({
    event: z.literal("welcome"),
    data: z.object({
      node_id: z.string(),
      node_name: z.string(),
      version: z.string(),
      protocol_version: z.number(),
      started_at: z.number(),
    }),
  }),
  z.object({
    event: z.literal("settings_changed"),
    data: z.object({ values: z.record(z.string(), z.unknown()) }),
  }),
  z.object({ event: z.literal("error"), data: z.object({ message: z.string() }) }),
]);

export type SystemClientEvent = z.infer<typeof systemClientEvent>;

export type SystemServerEvent = z.infer<typeof systemServerEvent>;

/** Any channel's error frame: the socket stays open. */
export function errorFrame(channel: string, message: string) {
  return { channel, event: "error" as const, data: { message } };
}
