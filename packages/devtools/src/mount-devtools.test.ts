import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DevtoolsError } from './devtools-error.js';
import { type DevtoolsPanel, mountDevtools } from './mount-devtools.js';
import type { PanelOptions } from './panel-options.js';
import { FakeSource, ManualFrames, shadow, viewText, write } from './test-support/fake-source.js';

let source: FakeSource;
let frames: ManualFrames;
let panel: DevtoolsPanel | undefined;

beforeEach(() => {
  source = new FakeSource();
  frames = new ManualFrames();
});
afterEach(() => {
  panel?.destroy();
  panel = undefined;
  document.body.replaceChildren();
});

function mount(options: PanelOptions = {}): DevtoolsPanel {
  panel = mountDevtools(source, {
    scheduleFrame: frames.schedule,
    now: () => 1_700_000_000_000,
    ...options,
  });
  return panel;
}

const tab = (view: string) =>
  shadow().querySelector<HTMLButtonElement>(`[role="tab"][data-view="${view}"]`)!;
const rows = (selector = 'tbody tr') => [
  ...shadow().querySelectorAll(`[role="tabpanel"] ${selector}`),
];

describe('mounting', () => {
  it('mounts closed, in a shadow root, and opens as a labelled dialog with five tabs', () => {
    const p = mount();
    const host = document.querySelector<HTMLElement>('[data-helios-devtools]')!;
    expect(host.hidden).toBe(true);
    expect(p.isOpen).toBe(false);
    p.open();
    expect(host.hidden).toBe(false);
    const dialog = shadow().querySelector('[role="dialog"]')!;
    expect(dialog.getAttribute('aria-labelledby')).toBe('helios-devtools-title');
    expect([...shadow().querySelectorAll('[role="tab"]')].map((t) => t.textContent)).toEqual([
      'Documents',
      'Writes',
      'Outbox',
      'Connection',
      'Conflicts',
    ]);
    // The app's styles do not reach in: the panel's own are in its shadow root.
    expect(shadow().querySelector('style')?.textContent).toContain(':host');
    expect(document.head.querySelector('style')).toBeNull();
  });

  it('refuses a source without an event stream, and bad options, mounting nothing', () => {
    const old = { inspect: () => [] };
    expect(() => mountDevtools(old as never)).toThrow(DevtoolsError);
    expect(() => mount({ limit: 0 })).toThrow(/limit must be a whole number/);
    expect(() => mount({ maxEvents: 1.5 })).toThrow(/maxEvents/);
    expect(() => mount({ view: 'nope' as never })).toThrow(/No view "nope"/);
    expect(document.querySelector('[data-helios-devtools]')).toBeNull();
  });
});

describe('the views', () => {
  it('Documents: each open document with its type, value as a JSON tree and causal context', () => {
    source.documents = [
      {
        id: 'cart',
        type: 'or-map<quantity>',
        value: { beans: 2, mug: { size: 'L', tags: ['gift', null, true] } },
        context: [
          {
            replica: 'r1',
            ranges: [
              [1, 4],
              [7, 7],
            ],
          },
          { replica: 'r2', ranges: [[1, 2]] },
        ],
      },
      { id: 'likes', type: 'pn-counter', value: 3, context: [] },
    ];
    mount({ view: 'documents' }).open();
    const sections = [...shadow().querySelectorAll('section.doc')];
    expect(sections.map((s) => s.getAttribute('aria-label'))).toEqual([
      'Document cart',
      'Document likes',
    ]);
    expect(sections[0]!.querySelector('h3')!.textContent).toBe('cart or-map<quantity>');
    const tree = sections[0]!.querySelector('.json')!;
    expect(tree.textContent).toContain('beans: 2');
    expect(tree.textContent).toContain('size: "L"');
    expect(tree.textContent).toContain('2: true');
    // The top level is open, nested objects folded.
    const details = [...tree.querySelectorAll('details')];
    expect(details.map((d) => d.open)).toEqual([true, false, false]);
    const context = [...sections[0]!.querySelectorAll('tbody tr')].map((r) => r.textContent);
    expect(context).toEqual(['r11–4, 7', 'r21–2']);
    expect(sections[1]!.textContent).toContain('3');
    expect(sections[1]!.textContent).toContain('Causal context: empty.');
  });

  it('Documents: a node the user opened stays open when the document changes', () => {
    source.documents = [{ id: 'cart', type: 'or-map', value: { mug: { size: 'L' } }, context: [] }];
    mount({ view: 'documents' }).open();
    const nested = () => shadow().querySelectorAll('details')[1]!;
    nested().open = true;
    nested().dispatchEvent(new Event('toggle'));
    source.documents = [
      { id: 'cart', type: 'or-map', value: { mug: { size: 'XL' } }, context: [] },
    ];
    source.emit(write('cart', 'r1', 1, 'pending', 10));
    frames.flush();
    expect(viewText()).toContain('size: "XL"');
    expect(nested().open).toBe(true);
  });

  it('Writes: one row per dot, the trail with times after pending, a refusal in red with its code', () => {
    source.past = [
      write('cart', 'r1', 1, 'pending', 1_000),
      write('cart', 'r1', 2, 'pending', 1_001),
      write('cart', 'r1', 1, 'local', 1_004),
      write('cart', 'r1', 1, 'relay', 1_030, { region: 'us-east-1' }),
      write('cart', 'r1', 2, 'local', 1_005),
      write('cart', 'r1', 2, 'failed', 1_040, {
        error: { code: 'unauthorized', message: 'no rights' },
      }),
      write('cart', 'r1', 1, 'region', 1_120, { region: 'eu-west-1' }),
      write('cart', 'r1', 1, 'global', 1_300),
    ];
    mount({ view: 'writes' }).open();
    const [second, first] = rows('tbody > tr');
    expect(first!.getAttribute('data-dot')).toBe('r1:1');
    expect([...first!.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'pending +0 ms',
      'local +4 ms',
      'relay us-east-1 +30 ms',
      'region eu-west-1 +120 ms',
      'global +300 ms',
    ]);
    expect(second!.getAttribute('data-dot')).toBe('r1:2');
    expect(second!.classList.contains('failed')).toBe(true);
    const failed = second!.querySelector('li.failed')!;
    expect(failed.textContent).toBe('failed unauthorized no rights +39 ms');
    expect(failed.querySelector('strong')!.textContent).toBe('unauthorized');
  });

  it('Writes: a trail whose pending step was before the history says what its times count from', () => {
    source.past = [
      write('cart', 'r1', 9, 'relay', 500, { region: 'us-east-1' }),
      write('cart', 'r1', 9, 'global', 700),
    ];
    mount().open();
    const list = rows('tbody > tr')[0]!.querySelector('ol')!;
    expect(list.getAttribute('aria-label')).toBe('steps, times after the first seen');
    expect(list.textContent).toBe('relay us-east-1 +0 msglobal +200 ms');
  });

  it('Outbox: the pending count over time, as a described line and a table, newest first', () => {
    source.past = [
      { type: 'outbox', pending: 0, at: 100 },
      { type: 'outbox', pending: 3, at: 200 },
      { type: 'outbox', pending: 1, at: 400 },
    ];
    mount({ view: 'outbox' }).open();
    expect(viewText()).toContain('Outbox: 1 pending now, at most 3.');
    const svg = shadow().querySelector('svg')!;
    expect(svg.getAttribute('role')).toBe('img');
    expect(svg.getAttribute('aria-label')).toContain('1 now, at most 3');
    expect(svg.querySelector('polyline')!.getAttribute('points')).toBe(
      '0.0,59.0 100.0,1.0 300.0,39.7',
    );
    expect(rows().map((r) => r.lastElementChild!.textContent)).toEqual(['1', '3', '0']);
  });

  it('Connection: the history newest first, failovers and refusals marked, with reasons', () => {
    source.past = [
      { type: 'connection', state: 'connecting', url: 'http://a', region: 'us-east-1', at: 1 },
      { type: 'connection', state: 'online', url: 'http://a', region: 'us-east-1', at: 2 },
      {
        type: 'connection',
        state: 'failover',
        url: 'http://b',
        region: 'eu-west-1',
        reason: 'home unreachable',
        at: 3,
      },
      {
        type: 'connection',
        state: 'refused',
        url: 'http://b',
        region: 'eu-west-1',
        reason: 'bad token',
        at: 4,
      },
    ];
    mount({ view: 'connection' }).open();
    expect(viewText()).toContain('Now refused; 1 failovers, 1 refusals.');
    expect(rows().map((r) => [...r.children].slice(1).map((c) => c.textContent))).toEqual([
      ['refused', 'eu-west-1', 'http://b', 'bad token'],
      ['failover', 'eu-west-1', 'http://b', 'home unreachable'],
      ['online', 'us-east-1', 'http://a', ''],
      ['connecting', 'us-east-1', 'http://a', ''],
    ]);
    expect(rows().map((r) => r.className)).toEqual(['refused', 'failover', '', '']);
  });

  it('Conflicts: MV siblings, LWW overwrites with why the winner won, concurrent counter writes', () => {
    source.past = [
      { type: 'conflict', doc: 'note', kind: 'mv-siblings', siblings: 2, at: 1 },
      {
        type: 'conflict',
        doc: 'settings',
        kind: 'lww-overwrite',
        key: 'theme',
        winner: { replica: 'r2', wall: 5_000, counter: 0 },
        losers: [
          { replica: 'r1', wall: 4_990, counter: 3 },
          { replica: 'r0', wall: 5_000, counter: 0 },
        ],
        at: 2,
      },
      {
        type: 'conflict',
        doc: 'cart',
        kind: 'concurrent-counter',
        key: 'beans',
        replicas: ['r1', 'r4'],
        at: 3,
      },
    ];
    mount({ view: 'conflicts' }).open();
    const [counter, lww, mv] = rows('tbody > tr');
    expect(counter!.textContent).toContain('concurrent counter writes');
    expect(counter!.textContent).toContain('concurrent writes of r1, r4: every one of them counts');
    expect(counter!.children[2]!.textContent).toBe('beans');
    expect(mv!.textContent).toContain('2 values stand side by side');
    expect(lww!.children[2]!.textContent).toBe('theme');
    expect(lww!.textContent).toContain('winner r2 (wall 5000, counter 0)');
    expect([...lww!.querySelectorAll('.losers li')].map((li) => li.textContent)).toEqual([
      'beat r1 (wall 4990, counter 3): later wall clock: 5000 > 4990 (+10 ms)',
      'beat r0 (wall 5000, counter 0): same timestamp, greater replica id: r2 > r0',
    ]);
  });

  it('says so where a view has nothing yet', () => {
    const p = mount();
    p.open();
    for (const [view, text] of [
      ['documents', 'No open document.'],
      ['writes', 'No write yet.'],
      ['outbox', 'Outbox: nothing seen yet.'],
      ['connection', 'No connection change seen yet.'],
      ['conflicts', 'No conflict seen yet.'],
    ] as const) {
      p.show(view);
      expect(viewText()).toBe(text);
    }
  });
});

describe('live', () => {
  it('follows the events only while open, redrawing once per animation frame', () => {
    const p = mount();
    expect(source.listeners.size).toBe(0);
    p.open();
    expect(source.listeners.size).toBe(1);
    for (let seq = 1; seq <= 50; seq++) source.emit(write('cart', 'r1', seq, 'pending', seq));
    // Fifty events, one frame asked for; nothing drawn before it.
    expect(frames.requests).toBe(1);
    expect(viewText()).toBe('No write yet.');
    frames.flush();
    expect(rows('tbody > tr')).toHaveLength(50);
    p.close();
    expect(source.listeners.size).toBe(0);
    expect(frames.waiting).toBe(0);
  });

  it('reads the documents on open and for the Documents view, not on every frame of the others', () => {
    const inspect = vi.spyOn(source, 'inspect');
    const p = mount();
    p.open();
    expect(inspect).toHaveBeenCalledTimes(1);
    for (let seq = 1; seq <= 3; seq++) {
      source.emit(write('cart', 'r1', seq, 'pending', seq));
      frames.flush();
    }
    expect(inspect).toHaveBeenCalledTimes(1);
    p.show('documents');
    source.emit(write('cart', 'r1', 4, 'pending', 4));
    frames.flush();
    expect(inspect).toHaveBeenCalledTimes(3);
  });

  it('a frame asked for and then closed draws nothing', () => {
    const p = mount();
    p.open();
    source.emit(write('cart', 'r1', 1, 'pending', 1));
    p.close();
    expect(frames.waiting).toBe(0);
    p.open();
    // Opened again: it starts over from the client's history, which has the write.
    expect(rows('tbody > tr')).toHaveLength(1);
  });

  it('keeps and draws only the last `limit` writes', () => {
    const p = mount({ limit: 3 });
    p.open();
    for (let seq = 1; seq <= 10; seq++) source.emit(write('cart', 'r1', seq, 'pending', seq));
    frames.flush();
    expect(rows('tbody > tr').map((r) => r.getAttribute('data-dot'))).toEqual([
      'r1:10',
      'r1:9',
      'r1:8',
    ]);
    // Ten writes, none acknowledged: the three kept are pending; the seven dropped are not counted.
    p.filter('cart');
    p.show('outbox');
    expect(viewText()).toContain('3 pending now');
  });
});

describe('filter by document', () => {
  beforeEach(() => {
    source.documents = [
      { id: 'cart', type: 'or-map<quantity>', value: { beans: 1 }, context: [] },
      { id: 'likes', type: 'pn-counter', value: 7, context: [] },
    ];
    source.past = [
      write('cart', 'r1', 1, 'pending', 10),
      write('likes', 'r1', 2, 'pending', 11),
      { type: 'outbox', pending: 2, at: 12 },
      write('cart', 'r1', 1, 'relay', 20, { region: 'us-east-1' }),
      { type: 'outbox', pending: 1, at: 21 },
      { type: 'conflict', doc: 'likes', kind: 'concurrent-counter', at: 30 },
      { type: 'conflict', doc: 'cart', kind: 'concurrent-counter', key: 'beans', at: 31 },
      { type: 'connection', state: 'online', region: 'us-east-1', at: 5 },
    ];
  });

  it('lists every document and narrows every view to the one chosen', () => {
    const p = mount();
    p.open();
    const select = shadow().querySelector('select')!;
    expect(select.labels?.[0]?.textContent).toContain('Document');
    expect([...select.options].map((o) => o.textContent)).toEqual([
      'All documents',
      'cart',
      'likes',
    ]);
    expect(rows('tbody > tr')).toHaveLength(2);

    select.value = 'likes';
    select.dispatchEvent(new Event('change'));
    expect(rows('tbody > tr').map((r) => r.getAttribute('data-dot'))).toEqual(['r1:2']);
    p.show('documents');
    expect(
      [...shadow().querySelectorAll('section.doc')].map((s) => s.getAttribute('aria-label')),
    ).toEqual(['Document likes']);
    p.show('conflicts');
    expect(rows().map((r) => r.children[1]!.textContent)).toEqual(['likes']);
    p.show('outbox');
    // One document's pending count comes from its own writes: likes' write is still pending.
    expect(viewText()).toContain('Writes of likes not yet acknowledged by a relay: 1 pending now');
    p.filter('cart');
    expect(viewText()).toContain(
      'Writes of cart not yet acknowledged by a relay: 0 pending now, at most 1.',
    );
    expect(select.value).toBe('cart');
    p.show('connection');
    // The connection serves every document: it stays, and says why.
    expect(viewText()).toContain('(The connection serves every document.)');
    expect(rows()).toHaveLength(1);
    p.filter(undefined);
    p.show('outbox');
    expect(viewText()).toContain('Outbox: 1 pending now, at most 2.');
  });
});

describe('export', () => {
  it('trace(): every event held and the open documents, as JSON', () => {
    source.documents = [
      { id: 'likes', type: 'pn-counter', value: 7, context: [{ replica: 'r1', ranges: [[1, 2]] }] },
    ];
    source.past = [write('likes', 'r1', 1, 'pending', 10)];
    const p = mount();
    // Closed: the client's history.
    expect(p.trace().events).toHaveLength(1);
    p.open();
    source.emit(write('likes', 'r1', 1, 'local', 12), { type: 'outbox', pending: 1, at: 13 });
    const trace = p.trace();
    expect(trace).toEqual({
      format: 'helios-devtools-trace',
      version: 1,
      exportedAt: '2023-11-14T22:13:20.000Z',
      events: [
        write('likes', 'r1', 1, 'pending', 10),
        write('likes', 'r1', 1, 'local', 12),
        { type: 'outbox', pending: 1, at: 13 },
      ],
      documents: source.documents,
    });
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });

  it('the Export button downloads the trace as a JSON file', async () => {
    const blobs: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:trace';
    });
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicked: HTMLAnchorElement[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this);
    });
    try {
      source.past = [{ type: 'outbox', pending: 0, at: 1 }];
      mount().open();
      const button = [...shadow().querySelectorAll('button')].find(
        (b) => b.textContent === 'Export trace',
      )!;
      button.click();
      expect(clicked).toHaveLength(1);
      expect(clicked[0]!.download).toBe('helios-trace-2023-11-14T22-13-20.000Z.json');
      expect(clicked[0]!.href).toBe('blob:trace');
      expect(clicked[0]!.isConnected).toBe(false);
      expect(blobs[0]!.type).toBe('application/json');
      const body = JSON.parse(await blobs[0]!.text());
      expect(body.format).toBe('helios-devtools-trace');
      expect(body.events).toEqual([{ type: 'outbox', pending: 0, at: 1 }]);
    } finally {
      click.mockRestore();
      vi.unstubAllGlobals();
    }
  });
});

describe('keyboard and cleanup', () => {
  it('moves focus to the selected tab on open, back where it was on close', () => {
    const outside = document.body.appendChild(document.createElement('button'));
    outside.focus();
    const p = mount({ view: 'outbox' });
    p.open();
    expect(shadow().activeElement).toBe(tab('outbox'));
    p.close();
    expect(document.activeElement).toBe(outside);
  });

  it('arrow keys, Home and End move between tabs; Escape closes', () => {
    const p = mount({ view: 'documents' });
    p.open();
    const key = (target: Element, k: string) =>
      target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true }));
    key(tab('documents'), 'ArrowRight');
    expect(tab('writes').getAttribute('aria-selected')).toBe('true');
    expect(tab('writes').tabIndex).toBe(0);
    expect(tab('documents').tabIndex).toBe(-1);
    expect(shadow().activeElement).toBe(tab('writes'));
    expect(shadow().querySelector('[role="tabpanel"]')!.getAttribute('aria-labelledby')).toBe(
      tab('writes').id,
    );
    key(tab('writes'), 'End');
    expect(tab('conflicts').getAttribute('aria-selected')).toBe('true');
    key(tab('conflicts'), 'ArrowRight');
    expect(tab('documents').getAttribute('aria-selected')).toBe('true');
    key(tab('documents'), 'ArrowLeft');
    expect(tab('conflicts').getAttribute('aria-selected')).toBe('true');
    key(tab('conflicts'), 'Home');
    expect(tab('documents').getAttribute('aria-selected')).toBe('true');
    tab('outbox').click();
    expect(tab('outbox').getAttribute('aria-selected')).toBe('true');
    key(tab('outbox'), 'Escape');
    expect(p.isOpen).toBe(false);
  });

  it('the close button closes; toggle opens and closes', () => {
    const p = mount();
    p.toggle();
    expect(p.isOpen).toBe(true);
    shadow().querySelector<HTMLButtonElement>('[aria-label="Close Helios devtools"]')!.click();
    expect(p.isOpen).toBe(false);
    p.toggle();
    p.toggle();
    expect(p.isOpen).toBe(false);
  });

  it('destroy() unsubscribes, cancels the frame, removes the panel; later calls do nothing', () => {
    const p = mount();
    p.open();
    source.emit(write('cart', 'r1', 1, 'pending', 1));
    p.destroy();
    expect(source.listeners.size).toBe(0);
    expect(frames.waiting).toBe(0);
    expect(document.querySelector('[data-helios-devtools]')).toBeNull();
    p.open();
    p.show('documents');
    expect(source.listeners.size).toBe(0);
    expect(p.isOpen).toBe(false);
  });
});
