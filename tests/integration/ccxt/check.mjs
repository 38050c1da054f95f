// The ccxt check of `keel sim` (issue 3 item 4): ccxt's own Binance class, pointed at the
// simulated exchange on 127.0.0.1 (reference/ccxt-loopback.md), must run every call a market
// maker needs and parse every answer. Exit 0 when every check passes, 1 otherwise.
//
// Usage: node check.mjs --keel PATH --state DIR --data FILE [--data FILE...] [--speed X]
// The server is started on port 0 (its "listening on 127.0.0.1:<port>" line gives the port)
// and stopped with SIGTERM at the end.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import ccxt from 'ccxt';

const SYMBOL = 'BTC/USDT';
const AMOUNT = 0.001;

function parseArgs(argv) {
  const out = { data: [], speed: '20' };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`missing value after ${k}`);
    if (k === '--keel') out.keel = v;
    else if (k === '--state') out.state = v;
    else if (k === '--data') out.data.push(v);
    else if (k === '--speed') out.speed = v;
    else throw new Error(`unknown option ${k}`);
  }
  if (!out.keel || !out.state || out.data.length === 0) {
    throw new Error('usage: node check.mjs --keel PATH --state DIR --data FILE... [--speed X]');
  }
  return out;
}

// Starts `keel sim` on port 0 and resolves with {child, port} once it prints its port.
function startServer(args) {
  rmSync(args.state, { recursive: true, force: true });
  const argv = ['sim', '--listen', '127.0.0.1:0', '--speed', args.speed, '--state', args.state,
    '--data', ...args.data];
  const child = spawn(args.keel, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('keel sim did not start within 60 s')), 60000);
    child.on('exit', (code) => reject(new Error(`keel sim exited early (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      console.log(`[keel sim] ${line}`);
      const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

// reference/ccxt-loopback.md §2: the verified loopback configuration.
function makeExchange(port, apiKey, secret) {
  const base = `http://127.0.0.1:${port}`;
  return new ccxt.binance({
    apiKey,
    secret,
    enableRateLimit: false,
    urls: { api: {
      public: `${base}/api/v3`, private: `${base}/api/v3`, v1: `${base}/api/v1`,
      sapi: `${base}/sapi/v1`, sapiV2: `${base}/sapi/v2`, sapiV3: `${base}/sapi/v3`,
      sapiV4: `${base}/sapi/v4`,
    } },
    options: {
      defaultType: 'spot',
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: false,
      recvWindow: 5000,
      fetchOpenOrders: { warnWithoutSymbol: false },
    },
  });
}

let failures = 0;
function check(cond, what) {
  if (cond) {
    console.log(`ok   ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL ${what}`);
  }
}

async function expectError(promise, cls, what) {
  try {
    await promise;
    check(false, `${what}: no error`);
  } catch (e) {
    check(e instanceof cls, `${what}: ${e.constructor.name} (${String(e.message).slice(0, 120)})`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until the replayed book has both sides (the snapshot arrives a few events in).
async function waitForBook(ex) {
  for (let i = 0; i < 100; i += 1) {
    const book = await ex.fetchOrderBook(SYMBOL, 5);
    if (book.bids.length > 0 && book.asks.length > 0) return book;
    await sleep(100);
  }
  throw new Error('the order book stayed empty');
}

// A post-only order at the touch (best bid for a buy, best ask for a sell): the order most
// likely to fill as the recording moves. Retried when the market moved through the price.
async function placeAtTouch(ex, side) {
  for (let i = 0; i < 10; i += 1) {
    const book = await ex.fetchOrderBook(SYMBOL, 5);
    const price = side === 'buy' ? book.bids[0][0] : book.asks[0][0];
    try {
      return await ex.createOrder(SYMBOL, 'limit', side, AMOUNT, price, { postOnly: true });
    } catch (e) {
      if (!(e instanceof ccxt.OrderImmediatelyFillable)) throw e;
    }
  }
  throw new Error(`could not place a post-only ${side} at the touch`);
}

async function checkOrders(ex, book) {
  const bid = book.bids[0][0];
  const ask = book.asks[0][0];
  const safeBuy = ex.priceToPrecision(SYMBOL, bid - 200);
  const a = await ex.createOrder(SYMBOL, 'limit', 'buy', AMOUNT, safeBuy,
    { postOnly: true, clientOrderId: 'ccxt-check-a' });
  check(a.id !== undefined && a.clientOrderId === 'ccxt-check-a', `post-only createOrder accepted: id ${a.id}`);
  await expectError(ex.createOrder(SYMBOL, 'limit', 'buy', AMOUNT, ask + 200, { postOnly: true }),
    ccxt.OrderImmediatelyFillable, 'post-only buy through the ask');
  const open = await ex.fetchOpenOrders(SYMBOL);
  check(open.some((o) => o.id === a.id && o.status === 'open'), `fetchOpenOrders lists ${a.id}`);
  const byClient = await ex.fetchOrder(undefined, SYMBOL, { clientOrderId: 'ccxt-check-a' });
  check(byClient.id === a.id && byClient.status === 'open' && byClient.price === Number(safeBuy)
    && byClient.amount === AMOUNT && byClient.filled === 0,
  `fetchOrder by clientOrderId: ${byClient.status} ${byClient.price} ${byClient.amount}`);
  const newPrice = ex.priceToPrecision(SYMBOL, bid - 300);
  const edited = await ex.editOrder(a.id, SYMBOL, 'limit', 'buy', AMOUNT, newPrice, { postOnly: true });
  check(edited.id !== a.id && edited.price === Number(newPrice) && edited.status === 'open',
    `editOrder (cancelReplace): new order ${edited.id} at ${edited.price}`);
  const old = await ex.fetchOrder(a.id, SYMBOL);
  check(old.status === 'canceled', `the replaced order is ${old.status}`);
  const canceled = await ex.cancelOrder(edited.id, SYMBOL);
  check(canceled.status === 'canceled' && canceled.id === edited.id, `cancelOrder: ${canceled.status}`);
  await expectError(ex.cancelOrder(edited.id, SYMBOL), ccxt.OrderNotFound, 'cancelOrder again');
  await expectError(ex.cancelOrder('987654321', SYMBOL), ccxt.OrderNotFound, 'cancelOrder unknown id');
  await expectError(ex.fetchOrder(undefined, SYMBOL, { clientOrderId: 'never-sent' }),
    ccxt.OrderNotFound, 'fetchOrder unknown clientOrderId');
}

async function checkFillsAndTrades(ex) {
  const buy = await placeAtTouch(ex, 'buy');
  const sell = await placeAtTouch(ex, 'sell');
  check(buy.status === 'open' && sell.status === 'open', `orders at the touch: ${buy.id}, ${sell.id}`);
  let trades = [];
  for (let i = 0; i < 240 && trades.length === 0; i += 1) {  // up to 2 minutes of replay
    await sleep(500);
    trades = await ex.fetchMyTrades(SYMBOL);
  }
  check(trades.length > 0, `fetchMyTrades: ${trades.length} trade(s) after the market moved`);
  if (trades.length === 0) return;
  const first = trades[0];
  check(first.order === buy.id || first.order === sell.id, `trade ${first.id} belongs to one of ours`);
  check(first.takerOrMaker === 'maker' && first.fee !== undefined && first.fee.currency === 'USDT',
    `trade ${first.id}: maker, fee ${first.fee && first.fee.cost} ${first.fee && first.fee.currency}`);
  const from = await ex.fetchMyTrades(SYMBOL, undefined, undefined, { fromId: first.id });
  check(from.length >= 1 && from[0].id === first.id, `fetchMyTrades fromId=${first.id} starts with it`);
  const after = await ex.fetchMyTrades(SYMBOL, undefined, undefined,
    { fromId: String(Number(trades[trades.length - 1].id) + 1) });
  check(after.length === 0, 'fetchMyTrades fromId past the last trade is empty');
  const filled = await ex.fetchOrder(first.order, SYMBOL);
  check(filled.filled > 0, `the filled order reports filled ${filled.filled}, status ${filled.status}`);
  const book = await ex.fetchOrderBook(SYMBOL, 5);
  await ex.createOrder(SYMBOL, 'limit', 'buy', AMOUNT, ex.priceToPrecision(SYMBOL, book.bids[0][0] - 500),
    { postOnly: true });
  const left = await ex.fetchOpenOrders();  // without a symbol: every open order
  const all = await ex.cancelAllOrders(SYMBOL);
  check(left.length >= 1 && Array.isArray(all) && all.length === left.length
    && all.every((o) => o.status === 'canceled'), `cancelAllOrders canceled ${all.length} of ${left.length}`);
}

async function checkBalanceAndAuth(ex, port) {
  const bal = await ex.fetchBalance();
  check(bal.BTC !== undefined && bal.USDT !== undefined && bal.USDT.total > 0,
    `fetchBalance: BTC ${bal.BTC && bal.BTC.total}, USDT ${bal.USDT && bal.USDT.total}`);
  check(bal.USDT.used === 0 && bal.BTC.used === 0, 'nothing locked with no open order');
  const wrongSecret = makeExchange(port, 'keel-sim-key', 'not-the-secret');
  await wrongSecret.loadMarkets();
  await expectError(wrongSecret.fetchBalance(), ccxt.AuthenticationError, 'wrong signature');
  const wrongKey = makeExchange(port, 'not-a-key', 'keel-sim-secret');
  await wrongKey.loadMarkets();
  await expectError(wrongKey.fetchBalance(), ccxt.AuthenticationError, 'unknown API key');
}

// ccxt.pro (reference/ccxt-loopback.md §5): watchOrderBook syncs a local book from the diff
// stream and the REST snapshot; watchOrders subscribes through the WebSocket API
// (userDataStream.subscribe.signature) and parses the executionReports.
async function checkWebSocket(ex, port) {
  const base = `http://127.0.0.1:${port}`;
  const pro = new ccxt.pro.binance({
    apiKey: 'keel-sim-key',
    secret: 'keel-sim-secret',
    urls: { api: {
      public: `${base}/api/v3`, private: `${base}/api/v3`,
      ws: { spot: `ws://127.0.0.1:${port}/ws`, 'ws-api': { spot: `ws://127.0.0.1:${port}/ws-api/v3` } },
    } },
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false,
      fetchMargins: false },
  });
  try {
    await pro.loadHttpProxyAgent();
    await pro.loadMarkets();
    const book = await pro.watchOrderBook(SYMBOL);
    check(book.bids.length > 0 && book.asks.length > 0 && book.bids[0][0] < book.asks[0][0],
      `watchOrderBook: ${book.bids[0] && book.bids[0][0]} / ${book.asks[0] && book.asks[0][0]}`);
    const watching = pro.watchOrders(SYMBOL);
    await sleep(500);  // let the subscription settle before the order
    const top = await ex.fetchOrderBook(SYMBOL, 5);
    const placed = await ex.createOrder(SYMBOL, 'limit', 'buy', AMOUNT,
      ex.priceToPrecision(SYMBOL, top.bids[0][0] - 500), { postOnly: true, clientOrderId: 'ccxt-ws-1' });
    const orders = await Promise.race([watching, sleep(10000).then(() => [])]);
    check(orders.some((o) => o.id === placed.id && o.clientOrderId === 'ccxt-ws-1' && o.status === 'open'),
      `watchOrders: ${orders.length} order(s), ${orders.map((o) => `${o.id}/${o.status}`).join(',')}`);
    const watchingCancel = pro.watchOrders(SYMBOL);  // resolves on the next update
    await sleep(200);
    await ex.cancelOrder(placed.id, SYMBOL);
    const after = await Promise.race([watchingCancel, sleep(10000).then(() => [])]);
    check(after.some((o) => o.id === placed.id && o.status === 'canceled'), 'watchOrders sees the cancel');
  } finally {
    await pro.close();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { child, port } = await startServer(args);
  child.removeAllListeners('exit');
  try {
    const ex = makeExchange(port, 'keel-sim-key', 'keel-sim-secret');
    const markets = await ex.loadMarkets();
    const m = markets[SYMBOL];
    check(m !== undefined && m.spot && m.active && m.precision.price === 0.01
      && m.precision.amount === 0.00001 && m.limits.cost.min === 5,
    `loadMarkets: ${SYMBOL} tick ${m && m.precision.price} step ${m && m.precision.amount}`);
    const time = await ex.fetchTime();
    check(Math.abs(time - Date.now()) < 5000, 'fetchTime is the wall clock');
    const book = await waitForBook(ex);
    check(book.bids[0][0] < book.asks[0][0] && book.nonce > 0,
      `fetchOrderBook: ${book.bids[0][0]} / ${book.asks[0][0]} (lastUpdateId ${book.nonce})`);
    const tickers = await ex.fetchBidsAsks([SYMBOL]);
    check(tickers[SYMBOL] !== undefined && tickers[SYMBOL].bid > 0, 'fetchBidsAsks (bookTicker)');
    await checkOrders(ex, book);
    await checkFillsAndTrades(ex);
    await checkWebSocket(ex, port);
    await checkBalanceAndAuth(ex, port);
  } finally {
    child.kill('SIGTERM');
  }
  console.log(failures === 0 ? 'ccxt check: all passed' : `ccxt check: ${failures} failure(s)`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`ccxt check: error: ${e.stack || e}`);
  process.exit(1);
});
