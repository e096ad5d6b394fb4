// Exact amounts: the API sends integers in the smallest unit as decimal
// strings; they are shown in the asset's units without ever becoming a
// float.

const NATIVE = {
  ethereum: { symbol: 'ETH', decimals: 18 },
  bitcoin: { symbol: 'BTC', decimals: 8 },
};

// units writes amount (a decimal string of the smallest unit) with
// decimals places, trailing zeros trimmed: units("1500000000000000000", 18) = "1.5".
export function units(amount, decimals) {
  if (amount === undefined || amount === null || amount === '') return '';
  let s = String(amount);
  let neg = false;
  if (s.startsWith('-')) { neg = true; s = s.slice(1); }
  if (!/^[0-9]+$/.test(s)) return String(amount);
  s = BigInt(s).toString();
  if (decimals > 0) {
    s = s.padStart(decimals + 1, '0');
    let whole = s.slice(0, s.length - decimals);
    let frac = s.slice(s.length - decimals).replace(/0+$/, '');
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    s = frac ? whole + '.' + frac : whole;
  }
  return (neg ? '-' : '') + s;
}

// nativeAsset is the chain's own coin.
export function nativeAsset(chain) {
  return NATIVE[chain] || { symbol: '', decimals: 0 };
}

// amount writes amount of asset ({symbol, decimals}) with its symbol.
export function amount(value, asset) {
  if (value === undefined || value === null || value === '') return '';
  const a = asset || { symbol: '', decimals: 0 };
  const sym = a.symbol || (a.contract ? short(a.contract) : '');
  return (units(value, a.decimals || 0) + ' ' + sym).trim();
}

// short abbreviates a hash or an address: 0x1234…abcd.
export function short(s) {
  if (!s) return '';
  s = String(s);
  return s.length > 14 ? s.slice(0, 8) + '…' + s.slice(-4) : s;
}

export function pct(x) {
  if (typeof x !== 'number') return '';
  return (Math.round(x * 1000) / 10) + '%';
}

// assetOfKey reads an incident summary's asset key: "native" (or the
// chain's symbol) is the chain's coin, else a token contract.
export function assetOfKey(chain, key) {
  if (!key || key === 'native' || key === nativeAsset(chain).symbol) return nativeAsset(chain);
  return { symbol: short(key), decimals: 0, contract: key };
}
