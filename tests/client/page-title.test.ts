import { describe, expect, test } from "bun:test";
import { pageTitle } from "../../client/shell/page-title.ts";

describe("the page title", () => {
  test("the page title carries the unread total only while there is one", () => {
    expect(pageTitle(0)).toBe("weft");
    expect(pageTitle(3)).toBe("(3) weft");
    expect(pageTitle(250)).toBe("(99+) weft");
  });
});
