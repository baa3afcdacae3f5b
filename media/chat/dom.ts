/** A tiny DOM builder: attributes and text only (never innerHTML; that is reserved for sanitized markdown). */

type Child = Node | string | null | undefined | false;

export interface Props {
  [name: string]: string | number | boolean | null | undefined | ((event: Event) => void);
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, "").toLowerCase(), value);
    } else if (name === "className") {
      element.className = String(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

export function icon(name: string): HTMLSpanElement {
  return h("span", { className: `codicon codicon-${name}`, "aria-hidden": "true" });
}

/** A button with an icon and an accessible name; `label` is shown as text unless `iconOnly`. */
export function button(
  options: {
    id?: string;
    className?: string;
    icon?: string;
    label: string;
    title?: string;
    iconOnly?: boolean;
    disabled?: boolean;
  },
  onClick: (event: Event) => void,
): HTMLButtonElement {
  const text = options.iconOnly ? null : h("span", { className: "button-label" }, options.label);
  return h(
    "button",
    {
      type: "button",
      id: options.id,
      className: options.className ?? "",
      title: options.title ?? options.label,
      "aria-label": options.iconOnly ? options.label : null,
      disabled: options.disabled ?? false,
      onclick: onClick,
    },
    options.icon ? icon(options.icon) : null,
    text,
  );
}

export function clear(element: Element): void {
  while (element.firstChild) {
    element.removeChild(element.firstChild);
  }
}
