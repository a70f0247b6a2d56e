// Cuts long remote output for a message without losing its end: what a command
// printed last (an error, lvsplay's own time-out note) is what explains it.
export function clipMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = Math.floor((maxChars - 5) / 2);
  const tail = maxChars - 5 - head;
  return `${text.slice(0, head)} […] ${text.slice(text.length - tail)}`;
}
