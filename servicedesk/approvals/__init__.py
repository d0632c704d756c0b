"""Approvals for any record type (service requests, changes before the CAB, the kernel's test
ticket): who must approve (`rules`), asking and deciding (`services`), who sees what
(`selectors`), the signed one-time e-mail links (`links`) and the approvers' e-mail (`emails`).

A record type takes part by declaring `registry.ApprovalHooks` (its requester, its service and
the callback run when an approval set is decided); see docs/architecture.md, "Approvals".
"""
