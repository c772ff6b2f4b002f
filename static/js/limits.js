// The server's limit on a message's text, counted as it counts: code points after trimming.
// The composer and the editor refuse longer text with this reason instead of cutting it.
export const MAX_MESSAGE_CHARS = 2000;

export function messageLength(text) {
  return [...text.trim()].length;
}

export function tooLongText(length) {
  return `This message is ${length.toLocaleString("en")} characters long; the limit is ${MAX_MESSAGE_CHARS.toLocaleString("en")}.`;
}
