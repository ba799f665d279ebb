// Video matches (issue 15): a face found in a recorded video shows the moment it was seen and its
// track's span, a thumbnail of that frame, and a player that starts the video at that moment. The
// video is fetched with the key (like every image: a <video src> cannot send an Authorization
// header) and played from a blob: URL, revoked when the player closes. Only roles allowed to see
// photos get the video (the API refuses the others; the button reports its error).
const $ = (id) => document.getElementById(id);

// "1:05.3" from seconds.
export function fmtTime(seconds) {
  const s = Math.max(0, seconds || 0);
  const m = Math.floor(s / 60);
  const rest = (s - m * 60).toFixed(1).padStart(4, '0');
  return `${m}:${rest}`;
}

function ensureDialog() {
  let dialog = $('video-dialog');
  if (dialog) return dialog;
  dialog = document.createElement('dialog');
  dialog.id = 'video-dialog';
  dialog.setAttribute('aria-labelledby', 'video-dialog-title');
  const head = document.createElement('form');
  head.method = 'dialog';
  head.className = 'dialog-head';
  const title = document.createElement('h3');
  title.id = 'video-dialog-title';
  title.textContent = 'Video';
  const close = document.createElement('button');
  close.type = 'submit';
  close.className = 'link';
  close.setAttribute('aria-label', 'Close');
  close.textContent = 'Close';
  head.append(title, close);
  const player = document.createElement('video');
  player.id = 'video-player';
  player.controls = true;
  player.preload = 'auto';
  player.width = 640;
  const facts = document.createElement('p');
  facts.id = 'video-facts';
  facts.className = 'small';
  dialog.append(head, player, facts);
  dialog.addEventListener('close', () => {
    player.pause();
    if (player.dataset.url) URL.revokeObjectURL(player.dataset.url);
    player.removeAttribute('src');
    delete player.dataset.url;
    player.load();
  });
  document.body.appendChild(dialog);
  return dialog;
}

// Opens the player on the match's video at its moment.
export async function playFrom(ctx, m) {
  const dialog = ensureDialog();
  const player = $('video-player');
  $('video-dialog-title').textContent = `Video ${m.image_id} · ${m.source} · from ${fmtTime(m.time_offset_s)}`;
  $('video-facts').textContent =
    `Track ${m.track_id}: seen ${fmtTime(m.track_first_s)}–${fmtTime(m.track_last_s)} of ${fmtTime(m.duration_s)}.`;
  if (!dialog.open) dialog.showModal();
  try {
    const url = await ctx.api().imageUrl(m.video_url);
    player.dataset.url = url;
    player.src = url;
    player.addEventListener('loadedmetadata', () => {
      player.currentTime = m.time_offset_s;
      player.play().catch(() => { /* autoplay may be refused; the controls remain */ });
    }, { once: true });
  } catch (e) {
    dialog.close();
    ctx.setStatus(`Cannot play the video: ${e.message}`, 'error');
  }
}

// Adds the video facts, the frame thumbnail and the play button to a match card's caption (a photo
// match is left as it is). `urls` collects blob: URLs for the caller to revoke.
export function decorateVideoMatch(ctx, m, caption, urls) {
  if (m.media !== 'video') return;
  const when = document.createElement('p');
  when.className = 'small video-moment';
  when.textContent = `In a video at ${fmtTime(m.time_offset_s)} (track seen ${fmtTime(m.track_first_s)}–${fmtTime(m.track_last_s)})`;
  const thumb = document.createElement('img');
  thumb.className = 'video-frame';
  thumb.alt = `Frame at ${fmtTime(m.time_offset_s)} of video ${m.image_id}`;
  thumb.width = 160;
  ctx.api().imageUrl(m.image_url).then((u) => { urls.push(u); thumb.src = u; })
    .catch((e) => { thumb.alt = `Frame unavailable: ${e.message}`; });
  const play = document.createElement('button');
  play.type = 'button';
  play.className = 'video-play';
  play.textContent = `Play from ${fmtTime(m.time_offset_s)}`;
  play.setAttribute('aria-label', `Play video ${m.image_id} from ${fmtTime(m.time_offset_s)}`);
  play.addEventListener('click', () => playFrom(ctx, m));
  caption.append(when, thumb, play);
}
