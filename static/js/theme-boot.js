// Classic (blocking) script: applies the remembered theme before first paint, so no flash.
(() => {
  let theme = "system";
  let bg = "plain";
  try {
    theme = localStorage.getItem("chatapp.theme") || "system";
    bg = localStorage.getItem("chatapp.bg") || "plain";
  } catch {
    /* storage disabled: defaults */
  }
  const dark =
    theme === "dark" || (theme === "system" && window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  document.documentElement.dataset.themePref = theme;
  document.documentElement.dataset.chatBg = bg;
})();
