// The case list: one tab per case of this agent (ARIA tabs), the selected one's panel shown.

import { $ } from "/static/shared/dom.js";
import { announce, literal } from "./i18n.js";
import { showPhotos } from "./photos.js";
import { state } from "./state.js";
import { CaseView } from "./case-view.js";

export function renderCasesEmpty() {
  const empty = state.cases.size === 0;
  $("#cases-empty").hidden = !empty;
  $("#case-tabs").hidden = empty;
  $("#case-none").hidden = !empty;
}

export function upsertCase(data) {
  if (!data?.case_id) return null;
  state.assignedThisConnection.add(data.case_id);
  let view = state.cases.get(data.case_id);
  const token = () => state.session?.token;
  if (view) {
    view.update(data);
    showPhotos(view.chat, data.photos, token);
    return view;
  }
  view = new CaseView(data);
  showPhotos(view.chat, data.photos, token);
  state.cases.set(view.id, view);
  $("#case-tabs").append(view.tab);
  $("#case-panels").append(view.panel);
  renderCasesEmpty();
  if (!state.selected) selectCase(view.id);
  else announce("case.assigned", { store: literal(data.store) });
  return view;
}

/**
 * Show one case's panel; focus "tab" or "compose" moves focus there too.
 * @param {string} caseId
 * @param {{focus?: "tab" | "compose"}} [options]
 */
export function selectCase(caseId, { focus } = {}) {
  if (!state.cases.has(caseId)) return;
  state.selected = caseId;
  for (const view of state.cases.values()) view.setSelected(view.id === caseId);
  const view = state.cases.get(caseId);
  if (focus === "tab") view.tab.focus();
  if (focus === "compose") {
    if (!view.chat.input.disabled) view.chat.input.focus();
    else view.tab.focus();
  }
}

export function closeTab(caseId) {
  const view = state.cases.get(caseId);
  if (!view) return;
  const order = [...state.cases.keys()];
  const index = order.indexOf(caseId);
  view.destroy();
  state.cases.delete(caseId);
  renderCasesEmpty();
  if (state.selected === caseId) {
    state.selected = null;
    const next = order[index + 1] ?? order[index - 1];
    if (next && state.cases.has(next)) selectCase(next, { focus: "tab" });
    else $("#cases-title").focus();
  }
}

export function onTabKeydown(event) {
  const order = [...state.cases.keys()];
  const current = event.target.closest('[role="tab"]')?.dataset.caseId;
  const index = order.indexOf(current);
  if (index < 0) return;
  let next = null;
  if (event.key === "ArrowRight" || event.key === "ArrowDown") next = order[(index + 1) % order.length];
  else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = order[(index - 1 + order.length) % order.length];
  else if (event.key === "Home") next = order[0];
  else if (event.key === "End") next = order[order.length - 1];
  if (next === null) return;
  event.preventDefault();
  selectCase(next, { focus: "tab" });
}
