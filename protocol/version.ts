/**
 * Version of every weft wire (peer, browser, REST). Bumped on any change a peer or tab built
 * against the previous value could not understand.
 */
export const PROTOCOL_VERSION = 1;
