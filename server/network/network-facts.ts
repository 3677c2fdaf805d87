import type { InviteResponse, SelfRow } from "../../protocol/network.ts";
import type { Fabric } from "../fabric/fabric.ts";
import { encodeInvite } from "../fabric/invite-codec.ts";
import type { NodeIdentity } from "../identity/identity.ts";

interface Facts {
  identity: NodeIdentity;
  fabric: Fabric;
  nodeName(): string;
  addresses(): string[];
}

/** This node as the Peers pane and `/api/network/peers` show it. */
export function selfRow(f: Facts): SelfRow {
  return {
    node_id: f.identity.nodeId,
    node_name: f.nodeName(),
    public_key: f.identity.publicKeyBase64,
    addresses: f.addresses(),
  };
}

/** Mints a single-use invite naming this node's key and reachable addresses. */
export function mintInvite(f: Facts, ttlS?: number): InviteResponse {
  const { token, expires, id } = f.fabric.invites.mint(ttlS);
  const name = f.nodeName().slice(0, 64);
  const invite = encodeInvite({
    n: f.identity.nodeId,
    k: f.identity.publicKeyBase64,
    p: f.fabric.paths().slice(0, 16),
    t: token,
    e: expires,
    ...(name ? { m: name } : {}),
  });
  return { invite, expires, id };
}
