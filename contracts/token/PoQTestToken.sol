// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title PoQTestToken
/// @notice Plain 18-decimal ERC-20 stake/reward token for local chains and testnets. The owner
///         mints; nothing else is special.
contract PoQTestToken is ERC20, Ownable {
    /// @param owner_ receives ownership (the minting right)
    /// @param initialSupply minted to `owner_`
    constructor(address owner_, uint256 initialSupply) ERC20("PoQ Test Token", "POQT") Ownable(owner_) {
        _mint(owner_, initialSupply);
    }

    /// @notice Mints `amount` to `to` (owner only).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
