// Face boxes drawn over an image as positioned elements, in percentages of the image's own size,
// so they stay right whatever size the image is shown at.
export function drawBoxes(container, boxes, imageWidth, imageHeight) {
  for (const old of container.querySelectorAll('.box')) old.remove();
  for (const b of boxes) {
    const el = document.createElement(b.onClick ? 'button' : 'div');
    el.className = `box${b.selected ? ' selected' : ''}${b.match ? ' match' : ''}`;
    el.style.left = `${(100 * b.box.x) / imageWidth}%`;
    el.style.top = `${(100 * b.box.y) / imageHeight}%`;
    el.style.width = `${(100 * b.box.width) / imageWidth}%`;
    el.style.height = `${(100 * b.box.height) / imageHeight}%`;
    if (b.label) {
      el.setAttribute('aria-label', b.label);
      el.title = b.label;
    }
    if (b.onClick) {
      el.type = 'button';
      el.addEventListener('click', b.onClick);
    } else {
      el.setAttribute('aria-hidden', 'true');
    }
    container.appendChild(el);
  }
}
