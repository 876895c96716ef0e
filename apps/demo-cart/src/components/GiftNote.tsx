import { useMVRegister } from '@helios/react';
import { useEffect, useState } from 'react';
import { DOCS } from '../documents.js';
import { useLastWrite } from '../last-write.js';

/**
 * A gift note in a multi-value register: edited offline on two devices, both versions stay
 * until the shopper keeps one or merges them.
 */
export function GiftNote() {
  const note = useMVRegister<string>(DOCS.giftNote);
  const { track } = useLastWrite();
  const current = note.conflicted ? '' : (note.values[0] ?? '');
  const [draft, setDraft] = useState(current);
  useEffect(() => setDraft(current), [current]);
  return (
    <section className="panel gift" aria-label="Gift note" data-testid="gift-note">
      <h2>Gift note</h2>
      {note.conflicted ? (
        <div className="conflict" data-testid="gift-conflict">
          <p>This note was edited on two devices at once. Keep one, or both:</p>
          {note.values.map((v, i) => (
            <blockquote key={`${i}-${v}`} data-testid="gift-version">
              <p id={`gift-version-${i}`}>{v || <em>(empty)</em>}</p>
              <button
                type="button"
                aria-describedby={`gift-version-${i}`}
                data-testid={`keep-${i}`}
                onClick={() => track(note.resolve(v))}
              >
                Keep this one
              </button>
            </blockquote>
          ))}
          <button
            type="button"
            className="primary"
            data-testid="merge-versions"
            onClick={() => track(note.resolve(note.values.join('\n— and —\n')))}
          >
            Keep both
          </button>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            track(note.set(draft));
          }}
        >
          <textarea
            value={draft}
            placeholder="Happy birthday! Enjoy the beans."
            aria-label="Gift note"
            rows={3}
            data-testid="gift-input"
            onChange={(e) => setDraft(e.target.value)}
          />
          <button
            type="submit"
            className="primary"
            data-testid="gift-save"
            disabled={draft === current}
          >
            Save note
          </button>
          {current && (
            <p className="saved" data-testid="gift-current">
              Saved: “{current}”
            </p>
          )}
        </form>
      )}
    </section>
  );
}
