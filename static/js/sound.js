// The mention chime: a short two-note tone made with WebAudio (no audio file to download), played
// for a new mention while the tab is hidden. On or off per browser, remembered in localStorage.

const KEY = "chatapp.mentionSound";
let context = null;

export function soundEnabled() {
  return localStorage.getItem(KEY) !== "off";
}

export function setSoundEnabled(on) {
  localStorage.setItem(KEY, on ? "on" : "off");
}

/**
 * Browsers start audio only after the person has interacted with the page: the context is made
 * (or resumed) on the first click or key press, so a chime later, with the tab hidden, can play.
 */
export function unlockSound() {
  const unlock = () => {
    context ||= new AudioContext();
    if (context.state === "suspended") context.resume().catch(() => {});
  };
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, { capture: true });
}

/** Two soft notes, 0.35 s in all. */
export function chime() {
  if (context?.state !== "running") return false;
  const start = context.currentTime + 0.01;
  for (const [i, frequency] of [880, 1320].entries()) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const at = start + i * 0.14;
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.18, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.22);
  }
  return true;
}
