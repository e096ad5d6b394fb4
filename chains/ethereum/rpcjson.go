package ethereum

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// The JSON-RPC shapes the follower reads. Only the fields it uses are
// declared, so decoding skips the rest; common.Address and common.Hash
// reject malformed values while decoding.

type rpcBlock struct {
	Number       *hexutil.Uint64 `json:"number"`
	Hash         *common.Hash    `json:"hash"`
	ParentHash   common.Hash     `json:"parentHash"`
	Timestamp    hexutil.Uint64  `json:"timestamp"`
	Transactions []rpcTx         `json:"transactions"`
}

type rpcTx struct {
	Hash             common.Hash     `json:"hash"`
	From             common.Address  `json:"from"`
	To               *common.Address `json:"to"`
	Value            *hexutil.Big    `json:"value"`
	GasPrice         *hexutil.Big    `json:"gasPrice"`
	TransactionIndex *hexutil.Uint64 `json:"transactionIndex"`
	BlockHash        *common.Hash    `json:"blockHash"`
}

// rpcPendingTx is a full pending transaction: the calldata is needed to
// decode ERC-20 transfers.
type rpcPendingTx struct {
	rpcTx
	Input hexutil.Bytes `json:"input"`
}

type rpcReceipt struct {
	TransactionHash   common.Hash     `json:"transactionHash"`
	TransactionIndex  hexutil.Uint64  `json:"transactionIndex"`
	BlockHash         common.Hash     `json:"blockHash"`
	BlockNumber       hexutil.Uint64  `json:"blockNumber"`
	From              common.Address  `json:"from"`
	ContractAddress   *common.Address `json:"contractAddress"`
	Status            *hexutil.Uint64 `json:"status"`
	GasUsed           *hexutil.Big    `json:"gasUsed"`
	EffectiveGasPrice *hexutil.Big    `json:"effectiveGasPrice"`
	BlobGasUsed       *hexutil.Big    `json:"blobGasUsed"`
	BlobGasPrice      *hexutil.Big    `json:"blobGasPrice"`
	Logs              []rpcLog        `json:"logs"`
}

type rpcLog struct {
	Address  common.Address `json:"address"`
	Topics   []common.Hash  `json:"topics"`
	Data     hexutil.Bytes  `json:"data"`
	LogIndex hexutil.Uint64 `json:"logIndex"`
	Removed  bool           `json:"removed"`
}

// rpcTxTrace is one element of debug_traceBlockByHash's answer.
type rpcTxTrace struct {
	TxHash *common.Hash `json:"txHash"`
	Result *callFrame   `json:"result"`
	Error  string       `json:"error"`
}

// callFrame is the callTracer's frame (with withLog: true).
type callFrame struct {
	Type  string          `json:"type"`
	From  common.Address  `json:"from"`
	To    *common.Address `json:"to"`
	Value *hexutil.Big    `json:"value"`
	Error string          `json:"error"`
	Calls []callFrame     `json:"calls"`
	Logs  []callLog       `json:"logs"`
}

type callLog struct {
	Position hexutil.Uint `json:"position"`
}
