/** Chat contribution ids, defined once (package.json must match; test/unit/chat/manifest.test.ts checks). */
export const CHAT_IDS = {
  viewContainer: "localCode",
  view: "localCode.chat",
  commands: {
    openChat: "localCode.openChat",
    newChat: "localCode.newChat",
    addSelection: "localCode.chat.addSelection",
  },
  settings: {
    maxTokens: "localCode.chat.maxTokens",
    temperature: "localCode.chat.temperature",
    systemPrompt: "localCode.chat.systemPrompt",
  },
} as const;
