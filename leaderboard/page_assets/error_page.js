"use strict";
const data = JSON.parse(document.getElementById("error-data").textContent);
// A sentence's fields, in the order sentence_record writes them.
const [ID, TEXT, FAILED, GOLD, PREDICTED, GOLD_SEGMENTS, PREDICTED_SEGMENTS] =
  [0, 1, 2, 3, 4, 5, 6];
const ALL = "all", HALLUCINATED = "hallucinated", MISSED = "missed";
const controls = {
  cls: document.getElementById("class"),
  type: document.getElementById("type"),
  failed: document.getElementById("failed"),
  seen: document.getElementById("seen"),
  prev: document.getElementById("prev"),
  next: document.getElementById("next"),
};
const list = document.getElementById("sentences");
const state = {cls: ALL, type: ALL, seen: ALL, failedOnly: false, shown: [], marks: 0, page: 0};

const located = (mark) => mark.length === 5;
const className = (mark) => data.classes[mark[1]];
const markText = (sentence, mark) =>
  located(mark) ? sentence[TEXT].slice(mark[3], mark[4]) : mark[3];
// Predictions and missed gold entities are what the error-class table counts; a gold entity
// a prediction was matched to is that prediction's other side, a repeated mention is not counted.
const counted = (gold, mark) => !gold || className(mark) === MISSED;

function matches(gold, mark) {
  if (state.type !== ALL && String(mark[0]) !== state.type) return false;
  if (state.cls === ALL) return true;
  if (state.cls === HALLUCINATED) return !gold && !located(mark);
  return className(mark) === state.cls;
}

function applyFilters() {
  state.cls = controls.cls.value;
  state.type = controls.type.value;
  state.failedOnly = controls.failed.checked;
  state.seen = controls.seen ? controls.seen.value : ALL;
  const everything = state.cls === ALL && state.type === ALL;
  state.shown = [];
  state.marks = 0;
  data.sentences.forEach((sentence, index) => {
    if (state.failedOnly && !sentence[FAILED]) return;
    if (state.seen !== ALL && data.seen[index] !== (state.seen === "seen")) return;
    let found = false;
    for (const gold of [true, false]) {
      for (const mark of sentence[gold ? GOLD : PREDICTED]) {
        if (!matches(gold, mark)) continue;
        found = true;
        if (counted(gold, mark)) state.marks += 1;
      }
    }
    if (found || everything) state.shown.push(index);
  });
  state.page = 0;
  render();
}

function countText() {
  const s = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  let what;
  if (state.cls === ALL) what = s(state.marks, "mark") + " (predictions and missed entities)";
  else if (state.cls === HALLUCINATED) what = s(state.marks, "prediction") + " not in the sentence";
  else what = s(state.marks, `${data.labels[data.classes.indexOf(state.cls)]} mark`);
  if (state.type !== ALL) what += ` of type ${data.types[Number(state.type)]}`;
  const failed = state.failedOnly ? " with a parse failure" : "";
  const seen = {all: "", seen: " whose text is in train", unseen: " whose text is not in train"};
  return `${what} in ${state.shown.length} of ${data.sentences.length} sentences${failed}` +
    seen[state.seen];
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function describe(sentence, gold, mark) {
  const [type, , other] = mark;
  const cls = className(mark);
  const side = gold ? "gold" : "predicted", string = `"${markText(sentence, mark)}"`;
  const what = `${side} ${data.types[type]} ${string}`;
  const match = other >= 0 ? sentence[gold ? PREDICTED : GOLD][other] : null;
  const place = located(mark) ? "" : ", not in the sentence";
  if (cls === "repeat") return `${what}: repeated mention, scored once (as its first mention)`;
  if (cls === MISSED || cls === "spurious") return `${what}: ${cls}${place}`;
  if (cls === "correct") return `${what}: correct${place}`;
  if (cls === "wrong_type") {
    const [predicted, actual] = gold ? [match, mark] : [mark, match];
    return `${side} ${string}: wrong type, predicted ${data.types[predicted[0]]}, ` +
      `gold ${data.types[actual[0]]}${place}`;
  }
  const otherSide = gold ? "predicted" : "gold";
  return `${what}: wrong boundary, ${otherSide} "${markText(sentence, match)}"${place}`;
}

function markElement(sentence, index, gold, k) {
  const mark = sentence[gold ? GOLD : PREDICTED][k];
  const cls = className(mark);
  const node = element("span", `m t${mark[0]} c-${cls}`);
  node.dataset.mark = `${index}${gold ? "g" : "p"}${k}`;
  // data-class: what the error-class table counts; data-match: a gold entity's prediction.
  node.dataset[counted(gold, mark) || cls === "repeat" ? "class" : "match"] = cls;
  if (!matches(gold, mark)) node.classList.add("dim");
  return node;
}

function line(sentence, index, gold) {
  const row = element("div", `line ${gold ? "gold" : "predicted"}`);
  const text = element("div", "text");
  const marks = sentence[gold ? GOLD : PREDICTED];
  let position = 0;
  for (const [start, end, ...covering] of sentence[gold ? GOLD_SEGMENTS : PREDICTED_SEGMENTS]) {
    if (start > position) text.append(sentence[TEXT].slice(position, start));
    let parent = text;
    const titles = [];
    for (const k of covering) {
      const node = markElement(sentence, index, gold, k);
      titles.push(describe(sentence, gold, marks[k]));
      node.title = titles.join("\n");
      parent.append(node);
      parent = node;
    }
    parent.append(sentence[TEXT].slice(start, end));
    position = end;
  }
  if (position < sentence[TEXT].length) text.append(sentence[TEXT].slice(position));
  const beside = element("div", "beside");
  marks.forEach((mark, k) => {
    if (located(mark)) return;
    const node = markElement(sentence, index, gold, k);
    node.dataset.beside = "";
    node.title = describe(sentence, gold, mark);
    node.textContent = JSON.stringify(mark[3]);
    beside.append(node);
  });
  if (beside.childElementCount) beside.prepend("not in the sentence: ");
  row.append(element("div", "label", gold ? "gold" : "predicted"), text, beside);
  return row;
}

function sentenceElement(index) {
  const sentence = data.sentences[index];
  const node = element("section", "sentence");
  node.dataset.index = index;
  const head = element("div", "head", `#${index + 1} \u00b7 ${sentence[ID]}`);
  if (sentence[FAILED]) {
    const n = sentence[FAILED];
    head.append(" \u00b7 ", element("span", "failed",
      `${n} generation${n === 1 ? "" : "s"} failed to parse`));
  }
  node.append(head, line(sentence, index, true), line(sentence, index, false));
  return node;
}

function render() {
  const size = data.pageSize;
  const pages = Math.max(1, Math.ceil(state.shown.length / size));
  const first = state.page * size;
  const shown = state.shown.slice(first, first + size).map(sentenceElement);
  list.replaceChildren(...(shown.length ? shown : [element("p", "note",
    "No sentence matches these filters.")]));
  document.getElementById("count").textContent = countText();
  document.getElementById("page").textContent = `page ${state.page + 1} of ${pages}`;
  controls.prev.disabled = state.page === 0;
  controls.next.disabled = state.page >= pages - 1;
}

function turn(step) {
  state.page += step;
  render();
  if (list.getBoundingClientRect().top < 0) list.scrollIntoView();
}

for (const control of [controls.cls, controls.type, controls.failed, controls.seen]) {
  if (!control) continue;
  control.addEventListener("change", applyFilters);
}
controls.prev.addEventListener("click", () => turn(-1));
controls.next.addEventListener("click", () => turn(1));
applyFilters();
// Marked once the first page is painted (a task queued from the next frame runs after it).
requestAnimationFrame(() => setTimeout(() => performance.mark("errors-rendered")));
