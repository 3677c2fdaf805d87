import { z } from "zod";
import { hexId128, nodeId } from "./primitives.ts";

/**
 * Asking a peer's agent (docs/architecture.md, "Agents"). The asker sends `agent_request`; the
 * node asked runs its gate, answers with receipts while the question waits for its person and
 * runs, streams the answer, and ends with one `agent_result`. A `request_id` is the asker's, and a
 * repeat of one (a resend after a link switch) is answered from what the node asked stored, never
 * run twice.
 */

/** The most nodes a question may have passed through before it reaches a node (its `origin_chain`). */
export const MAX_PEER_HOPS = 3;
/** The largest prompt a node answers, in UTF-8 bytes. */
export const MAX_PROMPT_BYTES = 16 * 1024;

/** How far a request got, as the node asked tells it. */
export const agentReceiptStatus = z.enum(["pending", "approved", "processing", "rejected"]);
export type AgentReceiptStatus = z.infer<typeof agentReceiptStatus>;

/**
 * Why a node refused or failed a question, exactly as the asker sees it, in the gate's order: a
 * peer not trusted, agents off (`agent.allowRemote`), its own id already in the chain, a chain too
 * long, too many questions a minute, a prompt too large, the policy `never`, its person said no or
 * let it lapse; then what can happen once it runs.
 */
export const AGENT_REFUSALS = {
  notTrusted: "not trusted",
  disabled: "disabled",
  loop: "loop",
  maxHops: "max peer hops",
  rateLimited: "rate limited",
  tooLarge: "prompt too large",
  never: "rejected by policy",
  rejected: "rejected by its person",
  undecided: "no decision within 10 minutes",
} as const;

const requestId = hexId128;

/** Peer wire (sealed): a question for the peer's agent. */
export const agentRequestData = z.strictObject({
  request_id: requestId,
  // Bounded well above the gate's limit, so an oversized prompt is refused with a reason rather
  // than dropped as a malformed frame.
  prompt: z.string().max(256 * 1024),
  /** The nodes the question passed through before, the asker last. */
  origin_chain: z.array(nodeId).max(16),
});
export const agentReceiptData = z.strictObject({
  request_id: requestId,
  status: agentReceiptStatus,
  /** Why, for `rejected`. */
  reason: z.string().max(200).optional(),
});
/** Part of the answer; `seq` counts from 0 so the asker drops a repeat and sees a gap. */
export const agentStreamData = z.strictObject({
  request_id: requestId,
  seq: z.int().nonnegative(),
  delta: z.string().max(64 * 1024),
});
export const agentResultData = z.strictObject({
  request_id: requestId,
  ok: z.boolean(),
  answer: z
    .string()
    .max(1024 * 1024)
    .optional(),
  error: z.string().max(500).optional(),
});
export const agentCancelData = z.strictObject({ request_id: requestId });

/** The per-peer approval policy: ask its person, answer at once, or refuse. */
export const approvalPolicy = z.enum(["ask", "always", "never"]);
export type ApprovalPolicy = z.infer<typeof approvalPolicy>;

/** Where one ask is, on either side. */
export const askState = z.enum([
  "sent",
  "waiting_approval",
  "thinking",
  "streaming",
  "done",
  "rejected",
  "failed",
  "cancelled",
]);
export type AskState = z.infer<typeof askState>;

/** One question as a pane lists it: asked by this node (`out`) or of it (`in`). */
export const agentAsk = z.object({
  request_id: z.string(),
  direction: z.enum(["out", "in"]),
  peer_id: z.string(),
  peer_name: z.string(),
  prompt: z.string(),
  state: askState,
  answer: z.string(),
  /** Why it was rejected or failed. */
  error: z.string().nullable(),
  /** For `in`: how it was decided (`always`, `approved`, `rejected`, the gate's reason…). */
  decision: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type AgentAsk = z.infer<typeof agentAsk>;

/** `POST /api/network/ask-peer`. */
export const askPeerRequest = z.strictObject({
  peer_id: z.string().max(64),
  prompt: z.string().max(256 * 1024),
});
/** Its answer: the whole answer once done, or why not. */
export const askPeerResponse = z.object({
  ok: z.boolean(),
  answer: z.string().optional(),
  error: z.string().optional(),
});
export type AskPeerResponse = z.infer<typeof askPeerResponse>;

/** `PUT /api/network/peers/:node_id/agent-policy`. */
export const agentPolicyRequest = z.strictObject({ policy: approvalPolicy });

const shortId = z.string().min(1).max(64);

/** `/ws` `agent` channel, client → server: the Agent pane. */
export const agentClientEvent = z.discriminatedUnion("event", [
  /** Every ask both ways (newest first), the policies, and the questions waiting for this person. */
  z.object({ event: z.literal("list"), data: z.object({}).strict().default({}) }),
  z.object({
    event: z.literal("ask"),
    data: z.object({
      peer_id: shortId,
      prompt: z
        .string()
        .min(1)
        .max(256 * 1024),
    }),
  }),
  z.object({ event: z.literal("cancel"), data: z.object({ request_id: shortId }) }),
  /** This node's person approves or rejects a peer's waiting question. */
  z.object({
    event: z.literal("decide"),
    data: z.object({ peer_id: shortId, request_id: shortId, approve: z.boolean() }),
  }),
  z.object({ event: z.literal("set_policy"), data: z.object({ peer_id: shortId, policy: approvalPolicy }) }),
  /** With the `inbox` backend: this person's own answer to a peer's question, or a no. */
  z.object({
    event: z.literal("inbox_reply"),
    data: z.object({
      request_id: shortId,
      text: z
        .string()
        .min(1)
        .max(1024 * 1024),
    }),
  }),
  z.object({ event: z.literal("inbox_decline"), data: z.object({ request_id: shortId }) }),
]);
export type AgentClientEvent = z.infer<typeof agentClientEvent>;

/** `/ws` `agent` channel, server → client. */
export const agentServerEvent = z.discriminatedUnion("event", [
  z.object({
    event: z.literal("list"),
    data: z.object({
      asks: z.array(agentAsk),
      /** Each known peer's approval policy (its own or the default). */
      policies: z.record(z.string(), approvalPolicy),
      /** Whether this node answers peers at all (`agent.allowRemote`) and with what. */
      answering: z.object({ allowRemote: z.boolean(), backend: z.string() }),
    }),
  }),
  /** An ask changed (its state, answer or decision). */
  z.object({ event: z.literal("ask"), data: agentAsk }),
  /** A part of the answer to an ask of this node, as it arrives. */
  z.object({ event: z.literal("delta"), data: z.object({ request_id: z.string(), delta: z.string() }) }),
  z.object({ event: z.literal("error"), data: z.object({ message: z.string() }) }),
]);
export type AgentServerEvent = z.infer<typeof agentServerEvent>;
