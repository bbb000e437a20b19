// One JSON object per line on stdout, where the container runtime collects it.
type Fields = Record<string, unknown>;

function write(level: "info" | "error", msg: string, fields: Fields = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

export const log = {
  info: (msg: string, fields?: Fields) => write("info", msg, fields),
  error: (msg: string, fields?: Fields) => write("error", msg, fields),
};
