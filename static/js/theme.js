// Theme (light / dark / system) and chat background, remembered per browser.
const media = window.matchMedia("(prefers-color-scheme: dark)");

export function getPrefs() {
  return {
    theme: localStorage.getItem("chatapp.theme") || "system",
    bg: localStorage.getItem("chatapp.bg") || "plain",
  };
}

export function applyTheme(theme = getPrefs().theme) {
  const dark = theme === "dark" || (theme === "system" && media.matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  document.documentElement.dataset.themePref = theme;
}

export function setTheme(theme) {
  localStorage.setItem("chatapp.theme", theme);
  applyTheme(theme);
}

export function setBackground(bg) {
  localStorage.setItem("chatapp.bg", bg);
  document.documentElement.dataset.chatBg = bg;
}

media.addEventListener("change", () => applyTheme());
