// The inbox: signs in, then wires the list, the thread, the composer, the channels page and the
// realtime socket together. Routes live in the hash: #/ (inbox), #/c/{id} (a conversation),
// #/channels.
import { ChannelsPage } from "./channels.js";
import { Composer } from "./composer.js";
import { ConversationList } from "./conversations.js";
import { $, h, show } from "./dom.js";
import { Live } from "./live.js";
import { Session } from "./session.js";
import { Thread } from "./thread.js";

const MUTED = "ponte.muted";

function signInScreen(error = "") {
  show($("#app"), false);
  show($("#signin"), true);
  $("#signin-error").textContent = error;
  $("#signin-form").onsubmit = async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    $("#signin-error").textContent = "";
    try {
      const session = await Session.signIn(String(form.get("name")), String(form.get("secret")).trim());
      e.target.reset();
      start(session);
    } catch (err) {
      $("#signin-error").textContent = err.status === 401 ? "That key or token is not valid." : err.message;
    }
  };
}

function toast(message) {
  const note = h("p", { class: "toast", role: "alert" }, message);
  document.body.append(note);
  setTimeout(() => note.remove(), 6000);
}

function beep() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  } catch {
    // No sound on this device: the title still counts.
  }
}

async function start(session) {
  show($("#signin"), false);
  show($("#app"), true);
  const channels = new Map();
  let muted = localStorage.getItem(MUTED) === "1";
  const app = { session };
  session.onExpired = () => {
    app.live?.stop();
    session.signOut();
    signInScreen("The session has expired; sign in again.");
  };

  // The title and the tabs count every conversation, not just the page loaded: the API's counts,
  // asked again (at most twice a second) whenever a conversation changes.
  let counts = { unread: 0 };
  const title = () => {
    document.title = counts.unread > 0 && !muted ? `(${counts.unread}) Ponte` : "Ponte";
    for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
      const n = counts[tab.dataset.status];
      tab.textContent = `${tab.dataset.label ??= tab.textContent}${n ? ` (${n})` : ""}`;
    }
  };
  let countsTimer = null;
  const recount = () => {
    countsTimer ??= setTimeout(async () => {
      countsTimer = null;
      counts = await session.api("GET", "/v1/conversations/counts").catch(() => counts);
      title();
    }, 500);
  };
  const muteButton = $("#mute");
  const showMute = () => {
    muteButton.textContent = muted ? "🔕" : "🔔";
    muteButton.setAttribute("aria-pressed", String(muted));
  };
  muteButton.onclick = () => {
    muted = !muted;
    localStorage.setItem(MUTED, muted ? "1" : "0");
    showMute();
    title();
  };
  showMute();

  app.composer = new Composer(session, { thread: () => app.thread, onError: toast });
  app.thread = new Thread(session, { channels, composer: app.composer, onConversation: (c) => app.list.update(c) });
  app.list = new ConversationList(session, { channels, onChange: recount });
  app.channels = new ChannelsPage(session, { channels, onChanged: () => app.list.render(), onError: toast });
  $("#signout").onclick = () => {
    app.live.stop();
    session.signOut();
    location.hash = "#/";
    signInScreen();
  };
  $("#back").onclick = () => (location.hash = "#/");
  show($("#nav-channels"), session.role === "admin");

  const loadChannels = async () => {
    const list = await session.api("GET", "/v1/channels");
    for (const c of list.data) channels.set(c.id, c);
    app.channels.render();
  };

  const route = async () => {
    const hash = location.hash || "#/";
    const onChannels = hash === "#/channels";
    show($("#inbox"), !onChannels);
    show($("#channels"), onChannels);
    const match = hash.match(/^#\/c\/([\w-]+)$/);
    $("#inbox").classList.toggle("showing-thread", Boolean(match));
    if (match && app.thread.conversation?.id !== match[1]) {
      app.list.select(match[1]);
      await app.thread.open(match[1]).catch((e) => toast(`That conversation could not be opened: ${e.message}`));
    } else if (!match && !onChannels) {
      app.list.select(null);
      app.thread.close();
    }
  };

  const resync = async () => {
    await Promise.all([app.list.reload(), app.thread.refresh(), loadChannels()]).catch((e) => toast(e.message));
  };

  app.live = new Live(session, {
    onOnline: (online) => {
      show($("#offline"), !online);
      document.body.dataset.live = online ? "online" : "offline";
    },
    onResync: resync,
    onEvent: (frame) => {
      if (frame.conversation) {
        app.list.update(frame.conversation);
        app.thread.setConversation(frame.conversation);
      }
      if (frame.message) app.thread.upsert(frame.message);
      if (frame.channel) app.channels.update(frame.channel);
      if (frame.type === "message.created" && frame.message?.direction === "inbound" && !muted) beep();
    },
  });
  window.ponte = app; // for the browser tests and for anyone poking at the reference client

  await loadChannels().catch((e) => toast(e.message));
  await app.list.reload().catch((e) => toast(e.message));
  window.onhashchange = route;
  await route();
  app.live.start();
}

const session = Session.restore();
if (session) start(session);
else signInScreen();
