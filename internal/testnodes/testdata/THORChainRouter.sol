// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title THORChainRouter: a stand-in for THORChain's Ethereum router
/// (THORChain_Router v4) that emits the real router's Deposit and
/// TransferOut events byte for byte, for the native asset only. deposit
/// forwards the ETH to the vault by an internal CALL as the real one
/// does; transferOut pays the recipient the ETH sent with it. No vault
/// allowance bookkeeping: all a taint test needs.
contract THORChainRouter {
    event Deposit(address indexed to, address indexed asset, uint256 amount, string memo);
    event TransferOut(address indexed vault, address indexed to, address asset, uint256 amount, string memo);

    function deposit(address payable vault, address asset, uint256 amount, string memory memo) external payable {
        require(asset == address(0), "native asset only");
        amount = msg.value;
        (bool success, ) = vault.call{value: amount}("");
        require(success, "vault refused");
        emit Deposit(vault, asset, amount, memo);
    }

    function transferOut(address payable to, address asset, uint256 amount, string memory memo) external payable {
        require(asset == address(0), "native asset only");
        amount = msg.value;
        (bool success, ) = to.call{value: amount}("");
        require(success, "recipient refused");
        emit TransferOut(msg.sender, to, asset, amount, memo);
    }
}
