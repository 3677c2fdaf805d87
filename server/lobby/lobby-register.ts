import {
  type LobbyClientMessage,
  type LobbyServerOf,
  REGISTER_PURPOSE,
  type RegisterProof,
} from "../../protocol/lobby.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import { canonicalBytes } from "../wire/canonical-json.ts";

/** What a node tells the lobby about itself, in `register` and `update`. */
export interface LobbyProfile {
  node_name: string;
  addresses: string[];
  listed: boolean;
}

/**
 * The profile trimmed to the wire's bounds (protocol/lobby.ts), so a long name or one odd
 * address never costs the node its registration.
 */
export function boundedProfile(name: string, addresses: string[], listed: boolean): LobbyProfile {
  return {
    node_name: name.slice(0, 64),
    addresses: addresses.filter((a) => a.length > 0 && a.length <= 300).slice(0, 16),
    listed,
  };
}

/**
 * The answer to a challenge: the node's profile and a signature over the canonical bytes of
 * the proof, which binds this lobby's nonce and id to this key so it proves nothing anywhere else.
 */
export function registerMessage(
  identity: NodeIdentity,
  challenge: LobbyServerOf<"challenge">,
  profile: LobbyProfile,
  capabilities: string[],
): LobbyClientMessage {
  const proof: RegisterProof = {
    purpose: REGISTER_PURPOSE,
    nonce: challenge.nonce,
    lobby_id: challenge.lobby_id,
    node_id: identity.nodeId,
    public_key: identity.publicKeyBase64,
  };
  return {
    type: "register",
    node_id: identity.nodeId,
    public_key: identity.publicKeyBase64,
    capabilities: capabilities.filter((c) => c.length > 0 && c.length <= 32).slice(0, 32),
    ...profile,
    sig: Buffer.from(identity.sign(canonicalBytes(proof))).toString("base64"),
  };
}
