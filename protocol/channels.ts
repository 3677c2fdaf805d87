import type { z } from "zod";
import { agentClientEvent, agentServerEvent } from "./agent.ts";
import { systemClientEvent, systemServerEvent } from "./browser.ts";
import { chatClientEvent, chatServerEvent } from "./chat.ts";
import { collabClientEvent, collabServerEvent } from "./collab.ts";
import { lobbyClientEvent, lobbyServerEvent } from "./lobby-channel.ts";
import { networkClientEvent, networkServerEvent } from "./network.ts";
import { noticesClientEvent, noticesServerEvent } from "./notices.ts";

/**
 * Every channel of the browser wire (`/ws`) with the events each side may send, as discriminated
 * unions on `event`. The node's senders are typed by this table, so an event name a tab would not
 * understand is a type error rather than a frame the tab silently drops.
 */
export const browserChannels = {
  system: { client: systemClientEvent, server: systemServerEvent },
  network: { client: networkClientEvent, server: networkServerEvent },
  chat: { client: chatClientEvent, server: chatServerEvent },
  collab: { client: collabClientEvent, server: collabServerEvent },
  notices: { client: noticesClientEvent, server: noticesServerEvent },
  lobby: { client: lobbyClientEvent, server: lobbyServerEvent },
  agent: { client: agentClientEvent, server: agentServerEvent },
} as const;

export type ChannelName = keyof typeof browserChannels;
/** What the node may send on channel `C`: `{ event, data }`. */
export type ServerEventOf<C extends ChannelName> = z.input<(typeof browserChannels)[C]["server"]>;
/** What a tab may send on channel `C`, as parsed. */
export type ClientEventOf<C extends ChannelName> = z.output<(typeof browserChannels)[C]["client"]>;
/** The `data` of server event `E` on channel `C`. */
export type ServerDataOf<C extends ChannelName, E extends ServerEventOf<C>["event"]> = Extract<
  ServerEventOf<C>,
  { event: E }
>["data"];
/** Any frame the node sends a tab. */
export type ServerFrame = { [C in ChannelName]: { channel: C } & ServerEventOf<C> }[ChannelName];
