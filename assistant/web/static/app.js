// The document viewer's js_on_load (gradio passes `element` and `watch`).
// Scroll the viewer's own box (not the page) so the highlighted section sits near its top.
const go = () => {
  const box = element.querySelector('.doc-text');
  const mark = element.querySelector('.doc-cited') || element.querySelector('.doc-section');
  if (box && mark) box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 24;
};
watch('value', () => requestAnimationFrame(() => {
  go();
  // Opened from another tab or far down the page: bring the viewer itself into sight too.
  const top = element.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.6) element.scrollIntoView({block: 'start', behavior: 'smooth'});
}));
requestAnimationFrame(go);
