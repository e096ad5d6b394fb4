// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title TornadoPool: a stand-in for one Tornado Cash ETH pool
/// (tornado-core ETHTornado) that emits the real pool's Deposit and
/// Withdrawal events byte for byte and pays withdrawals by internal CALLs
/// as the real one does. It checks no zero-knowledge proof: any caller may
/// withdraw any unspent nullifier, which is all a taint test needs.
contract TornadoPool {
    event Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp);
    event Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee);

    uint256 public immutable denomination;
    uint32 public nextIndex;
    mapping(bytes32 => bool) public commitments;
    mapping(bytes32 => bool) public nullifierHashes;

    constructor(uint256 _denomination) {
        require(_denomination > 0, "denomination should be greater than 0");
        denomination = _denomination;
    }

    function deposit(bytes32 _commitment) external payable {
        require(!commitments[_commitment], "The commitment has been submitted");
        require(msg.value == denomination, "Please send `mixDenomination` ETH along with transaction");
        uint32 insertedIndex = nextIndex;
        nextIndex = insertedIndex + 1;
        commitments[_commitment] = true;
        emit Deposit(_commitment, insertedIndex, block.timestamp);
    }

    function withdraw(address payable _recipient, bytes32 _nullifierHash, address payable _relayer, uint256 _fee) external payable {
        require(_fee <= denomination, "Fee exceeds transfer value");
        require(!nullifierHashes[_nullifierHash], "The note has been already spent");
        nullifierHashes[_nullifierHash] = true;
        (bool success, ) = _recipient.call{value: denomination - _fee}("");
        require(success, "payment to _recipient did not go thru");
        if (_fee > 0) {
            (success, ) = _relayer.call{value: _fee}("");
            require(success, "payment to _relayer did not go thru");
        }
        emit Withdrawal(_recipient, _nullifierHash, _relayer, _fee);
    }
}
