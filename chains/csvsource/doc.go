// Package csvsource reads a CSV export of transfers (docs/interface.md,
// "chainhound replay": block,time,tx,index,from,to,asset,amount, and
// optionally event and memo) as the blocks a follower would give the
// tracer, and answers the tracer's balance (Ethereum) and prevout
// (Bitcoin) questions from the file itself, for an offline replay.
//
// A row's event (tornado.deposit, thorchain.transfer_out, …) becomes the
// log the recognisers in tracer/mixers and tracer/bridges read live, so
// this package builds those logs with their encoders.
package csvsource
