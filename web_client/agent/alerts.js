// Alerts that make an offer hard to miss: the chime (WebAudio, no files).

let audioContext = null;

function audio() {
  if (audioContext) return audioContext;
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  try {
    audioContext = new Context();
  } catch {
    audioContext = null;
  }
  return audioContext;
}

/** Called on a user gesture so that later offers may sound (browsers block audio before one). */
export function unlockAudio() {
  try {
    const context = audio();
    if (context && context.state === "suspended") context.resume().catch(() => {});
  } catch {
    // no audio: the card and the live region still announce offers
  }
}

/** A short two-tone chime for a new offer, generated with WebAudio (no files). Never throws. */
export function chime() {
  try {
    const context = audio();
    if (!context) return;
    if (context.state === "suspended") context.resume().catch(() => {});
    const start = context.currentTime + 0.01;
    [[660, 0], [880, 0.18]].forEach(([frequency, offset]) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.17);
    });
  } catch {
    // audio blocked or unavailable: stay silent
  }
}
