// DOM helpers: elements built from data (never from HTML strings), forms
// whose errors show the server's problem next to the field it names.

let uid = 0;

/** A new element: el("p", {class: "hint"}, "text", child...). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces node's children. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A unique id for labels and descriptions. */
export function id(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled field around input, whose name is the API's name for it: the
 * error of a problem naming that field shows in it.
 */
export function field(label, input, hint) {
  input.id ||= id(input.name || "f");
  const err = el("p", { class: "error", id: `${input.id}-error`, hidden: true });
  const described = [];
  let hintNode;
  if (hint) {
    hintNode = el("p", { class: "hint", id: `${input.id}-hint` }, hint);
    described.push(hintNode.id);
  }
  if (described.length) input.setAttribute("aria-describedby", described.join(" "));
  return el("div", { class: "field", "data-field": input.name || "" }, el("label", { for: input.id }, label), input, hintNode, err);
}

/** A group of checkboxes named name, one per value, in a fieldset. */
export function checks(legend, name, values, checked = []) {
  const box = el("fieldset", { "data-field": name }, el("legend", {}, legend));
  const list = el("div", { class: "checks" });
  for (const v of values) {
    const cid = id(name);
    list.append(el("label", { for: cid }, el("input", { type: "checkbox", id: cid, name, value: v, checked: checked.includes(v) }), v));
  }
  box.append(list, el("p", { class: "error", id: id(`${name}-error`), hidden: true }));
  return box;
}

/** The values of the checked boxes named name in form. */
export function checked(form, name) {
  return [...form.querySelectorAll(`input[type=checkbox][name="${name}"]:checked`)].map((i) => i.value);
}

/**
 * A form that calls submit(form) and shows a refusal: next to the field
 * the problem names when the form has it, else above the button.
 */
export function form(props, children, submit) {
  const general = el("p", { class: "error", role: "alert", hidden: true });
  const f = el("form", { ...props, novalidate: true }, children, general);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(f);
    const buttons = [...f.querySelectorAll("button")];
    buttons.forEach((b) => (b.disabled = true));
    try {
      await submit(f);
    } catch (err) {
      showError(f, err);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  f.general = general;
  return f;
}

/** Clears the errors a form shows. */
export function clearErrors(f) {
  for (const p of f.querySelectorAll(".error")) {
    p.hidden = true;
    p.textContent = "";
  }
  for (const i of f.querySelectorAll("[aria-invalid]")) {
    i.removeAttribute("aria-invalid");
    const ids = (i.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && !x.endsWith("-error"));
    if (ids.length) i.setAttribute("aria-describedby", ids.join(" "));
    else i.removeAttribute("aria-describedby");
  }
}

/** Shows err in form f: next to its field if the form has it. */
export function showError(f, err) {
  const detail = err.detail || err.message || String(err);
  const holder = err.field ? f.querySelector(`[data-field="${CSS.escape(err.field)}"]`) : null;
  if (holder) {
    const p = holder.querySelector(".error");
    p.textContent = detail;
    p.hidden = false;
    const input = holder.querySelector("input, select, textarea");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      input.setAttribute("aria-describedby", [...ids, p.id].join(" "));
      input.focus();
    }
    return;
  }
  f.general.textContent = detail;
  f.general.hidden = false;
}

/** A table with a caption and column headers; rows are arrays of cells. */
export function table(caption, columns, rows, empty = "None.") {
  if (!rows.length) return el("p", { class: "hint" }, empty);
  const t = el(
    "table",
    {},
    el("caption", { class: "hint" }, caption),
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c)))),
    el(
      "tbody",
      {},
      rows.map((r) =>
        el(
          "tr",
          {},
          r.map((c, i) => {
            const td = c instanceof HTMLTableCellElement ? c : el("td", {}, c);
            if (columns[i]) td.dataset.label = columns[i];
            return td;
          }),
        ),
      ),
    ),
  );
  return el("div", { class: "scroll", role: "region", "aria-label": caption, tabindex: "0" }, t);
}

/** A notice: kind is ok, bad or warn. */
export function notice(kind, ...text) {
  return el("p", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : "status" }, ...text);
}

/** A time as the console shows it, local and exact. */
export function when(t) {
  if (!t) return "—";
  const d = new Date(t);
  return el("time", { datetime: d.toISOString(), title: d.toISOString() }, d.toLocaleString());
}

/** A button that copies text to the clipboard. */
export function copyButton(text, label = "Copy") {
  const b = el("button", { type: "button", class: "secondary small" }, label);
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = "Copied";
    } catch {
      b.textContent = "Select and copy by hand";
    }
  });
  return b;
}

/** Indented JSON. */
export function json(v) {
  return el("pre", {}, JSON.stringify(v, null, 2));
}

/** Quotes s for a POSIX shell. */
export function shellQuote(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${String(s).replaceAll("'", `'"'"'`)}'`;
}

/**
 * A button that acts on its second press, the first turning its label to
 * confirmLabel: no dialog, keyboard and screen readers alike. A refusal
 * shows its problem's detail beside the button.
 */
export function confirmButton(label, confirmLabel, props, action) {
  const b = el("button", { type: "button", class: "danger small", ...props }, label);
  const refused = el("span", { class: "error", role: "alert", hidden: true });
  let armed = false;
  b.addEventListener("click", async () => {
    if (!armed) {
      armed = true;
      b.textContent = confirmLabel;
      if (props["aria-label"]) b.setAttribute("aria-label", `${confirmLabel} ${props["aria-label"]}`);
      return;
    }
    b.disabled = true;
    refused.hidden = true;
    try {
      await action();
    } catch (err) {
      refused.textContent = err.detail || err.message;
      refused.hidden = false;
    } finally {
      b.disabled = false;
    }
  });
  return el("span", { class: "confirm" }, b, refused);
}
