// Unit tests of the composer's Ctrl+B / Ctrl+I wrapping (node:test; run by tests/js/test_node.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import { toggleWrap } from "../../static/js/views/format-keys.js";

test("a selection is wrapped and stays selected", () => {
  assert.deepEqual(toggleWrap("say hello now", 4, 9, "**"), { text: "say **hello** now", start: 6, end: 11 });
});

test("no selection: the markers go round the caret", () => {
  assert.deepEqual(toggleWrap("ab", 1, 1, "*"), { text: "a**b", start: 2, end: 2 });
});

test("again on a wrapped selection unwraps it", () => {
  assert.deepEqual(toggleWrap("say **hello** now", 6, 11, "**"), { text: "say hello now", start: 4, end: 9 });
  assert.deepEqual(toggleWrap("*x*", 1, 2, "*"), { text: "x", start: 0, end: 1 });
});

test("italic inside bold adds a marker rather than eating the bold", () => {
  assert.equal(toggleWrap("**x**", 2, 3, "*").text, "***x***");
});
