#!/usr/bin/env python3
"""Rebuild mainnet_17173049.json and mainnet_17173050.json (JSON-RPC shape:
{"block": eth_getBlockByNumber(n, true), "receipts": eth_getBlockReceipts(n)})
from ethereum-etl's tests/resources/test_stream/blocks_17173049_17173050
(MIT, commit 9e51c3b8d43bdbf775a71d802d39fbfd73566ba6).

usage: mkfixture.py SRC_DIR OUT_DIR
"""
import json, sys, os

src, out = sys.argv[1], sys.argv[2]
h = lambda n: hex(int(n))
rd = lambda f: [json.loads(l) for l in open(os.path.join(src, f)) if l.strip()]
blocks, txs, logs = rd("expected_blocks.json"), rd("expected_transactions.json"), rd("expected_logs.json")
for b in blocks:
    n = b["number"]
    btx = sorted([t for t in txs if t["block_number"] == n], key=lambda t: t["transaction_index"])
    rtx, rcp = [], []
    for t in btx:
        common = {"blockHash": b["hash"], "blockNumber": h(n), "transactionIndex": h(t["transaction_index"])}
        tx = dict(common, hash=t["hash"], **{"from": t["from_address"]}, to=t["to_address"], value=h(t["value"]),
                  gas=h(t["gas"]), gasPrice=h(t["gas_price"]), input=t["input"], nonce=h(t["nonce"]),
                  type=h(t["transaction_type"] or 0))
        if t.get("max_fee_per_gas") is not None:
            tx["maxFeePerGas"] = h(t["max_fee_per_gas"])
            tx["maxPriorityFeePerGas"] = h(t["max_priority_fee_per_gas"])
        rtx.append(tx)
        tl = sorted([l for l in logs if l["transaction_hash"] == t["hash"]], key=lambda l: l["log_index"])
        rcp.append(dict(common, transactionHash=t["hash"], **{"from": t["from_address"]}, to=t["to_address"],
                        contractAddress=t["receipt_contract_address"], cumulativeGasUsed=h(t["receipt_cumulative_gas_used"]),
                        gasUsed=h(t["receipt_gas_used"]), effectiveGasPrice=h(t["receipt_effective_gas_price"]),
                        status=h(t["receipt_status"]), type=h(t["transaction_type"] or 0),
                        logs=[dict(address=l["address"], topics=l["topics"], data=l["data"], blockNumber=h(n),
                                   blockHash=b["hash"], transactionHash=t["hash"], transactionIndex=h(t["transaction_index"]),
                                   logIndex=h(l["log_index"]), removed=False) for l in tl]))
    blk = {"number": h(n), "hash": b["hash"], "parentHash": b["parent_hash"], "miner": b["miner"],
           "timestamp": h(b["timestamp"]), "gasLimit": h(b["gas_limit"]), "gasUsed": h(b["gas_used"]),
           "baseFeePerGas": h(b["base_fee_per_gas"]), "stateRoot": b["state_root"], "receiptsRoot": b["receipts_root"],
           "transactionsRoot": b["transactions_root"], "logsBloom": b["logs_bloom"], "extraData": b["extra_data"],
           "size": h(b["size"]), "transactions": rtx}
    with open(os.path.join(out, "mainnet_%d.json" % n), "w") as f:
        json.dump({"block": blk, "receipts": rcp}, f, separators=(",", ":"))
    print(n, len(rtx), sum(len(r["logs"]) for r in rcp))
