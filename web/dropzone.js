// Makes a <label class="drop" for=input> accept dropped files for its file input.
export function dropzone(label, input, onFiles) {
  const prevent = (e) => { e.preventDefault(); e.stopPropagation(); };
  for (const type of ['dragenter', 'dragover']) {
    label.addEventListener(type, (e) => { prevent(e); label.classList.add('over'); });
  }
  for (const type of ['dragleave', 'drop']) {
    label.addEventListener(type, (e) => { prevent(e); label.classList.remove('over'); });
  }
  label.addEventListener('drop', (e) => {
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    onFiles(input.files);
  });
  input.addEventListener('change', () => onFiles(input.files));
}
