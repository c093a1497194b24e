// Applies the remembered theme before the first paint (a separate file, not inline: the CSP allows only 'self').
(() => {
  try {
    const saved = localStorage.getItem('m3m.theme');
    const dark =
      saved === 'dark' || (saved !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.classList.toggle('dark', dark);
    const lang = localStorage.getItem('m3m.language');
    if (lang) document.documentElement.lang = lang;
  } catch {}
})();
