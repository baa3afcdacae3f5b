/**
 * "Show Hardware and Model Choice" with the remote backend: the models run on the server, so this
 * machine's hardware chooses nothing, and llama-server does not report the machine it runs on.
 */
export interface RemoteReportInput {
  server: string;
  /** The model each slot uses on the server (null: not loaded yet). */
  models: { completion: string | null; chat: string | null };
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

export function remoteHardwareMarkdown(input: RemoteReportInput): string {
  const model = (name: string | null) => (name ? `\`${cell(name)}\`` : "not loaded yet");
  return [
    "# Local Code Assistant: hardware and model choice",
    "",
    "## Remote backend",
    "",
    `The models run on **${cell(input.server)}** (\`localCode.backend\` is \`remote\`): prompts and the code sent with them go to that server.`,
    "This machine's hardware does not choose the models, and the server does not report the hardware it runs on.",
    "",
    "| Slot | Model on the server |",
    "| --- | --- |",
    `| Completion | ${model(input.models.completion)} |`,
    `| Chat | ${model(input.models.chat)} |`,
    "",
    "The server's models are set with `localCode.remote.completionModel` and `localCode.remote.chatModel`; set `localCode.backend` to `local` to run models on this machine.",
    "",
  ].join("\n");
}
