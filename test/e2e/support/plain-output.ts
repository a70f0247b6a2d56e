// Splits lvsplay's --plain output into per-task blocks ("would change: [ds1] task"
// followed by its indented lines), so a test can say which host a diff belongs to.

export interface PlainBlock {
  readonly status: string;
  readonly host: string;
  readonly task: string;
  readonly body: string[];
}

const HEAD = /^([a-z ]+): \[([^\]]+)\] (.+?)( \(\d+ changes?\))?$/;

export function plainBlocks(text: string): PlainBlock[] {
  const blocks: { status: string; host: string; task: string; body: string[] }[] = [];
  for (const line of text.split("\n")) {
    const head = HEAD.exec(line);
    if (head) blocks.push({ status: head[1] ?? "", host: head[2] ?? "", task: head[3] ?? "", body: [] });
    else if (line.startsWith(" ")) blocks.at(-1)?.body.push(line.trim());
  }
  return blocks;
}
