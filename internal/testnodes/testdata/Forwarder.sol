// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Forwarder: moves ether by internal CALLs, the shape of a
/// laundering hop that only a call tracer can see.
contract Forwarder {
    event Split(address indexed from, uint256 value, uint256 recipients);

    /// Pays msg.value / to.length to each recipient by CALL; the
    /// remainder of the division goes to the last one.
    function split(address[] calldata to) external payable {
        uint256 n = to.length;
        require(n > 0, "Forwarder: no recipients");
        uint256 share = msg.value / n;
        for (uint256 i = 0; i < n; i++) {
            uint256 amount = share;
            if (i == n - 1) {
                amount = msg.value - share * (n - 1);
            }
            (bool ok, ) = payable(to[i]).call{value: amount}("");
            require(ok, "Forwarder: call failed");
        }
        emit Split(msg.sender, msg.value, n);
    }

    /// Always reverts, so a transaction calling it is mined with status 0.
    function fail() external payable {
        revert("Forwarder: fail");
    }
}
