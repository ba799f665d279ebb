// GDPR legal bases and conditions, as the server accepts them (codes; aliases also work).
export const ART6 = [
  ['art6-1-a', 'Art. 6(1)(a) consent'],
  ['art6-1-b', 'Art. 6(1)(b) contract'],
  ['art6-1-c', 'Art. 6(1)(c) legal obligation'],
  ['art6-1-d', 'Art. 6(1)(d) vital interests'],
  ['art6-1-e', 'Art. 6(1)(e) public task'],
  ['art6-1-f', 'Art. 6(1)(f) legitimate interests'],
];

export const ART9 = [
  ['art9-2-a', 'Art. 9(2)(a) explicit consent'],
  ['art9-2-b', 'Art. 9(2)(b) employment and social security'],
  ['art9-2-c', 'Art. 9(2)(c) vital interests'],
  ['art9-2-d', 'Art. 9(2)(d) not-for-profit body'],
  ['art9-2-e', 'Art. 9(2)(e) made public by the person'],
  ['art9-2-f', 'Art. 9(2)(f) legal claims'],
  ['art9-2-g', 'Art. 9(2)(g) substantial public interest'],
  ['art9-2-h', 'Art. 9(2)(h) health or social care'],
  ['art9-2-i', 'Art. 9(2)(i) public health'],
  ['art9-2-j', 'Art. 9(2)(j) archiving, research, statistics'],
];

// Fills a <select> with [code, label] pairs and selects `chosen`.
export function fillSelect(select, pairs, chosen) {
  select.replaceChildren(...pairs.map(([code, label]) => {
    const o = document.createElement('option');
    o.value = code;
    o.textContent = label;
    o.selected = o.defaultSelected = code === chosen;  // form.reset() returns to it
    return o;
  }));
}
