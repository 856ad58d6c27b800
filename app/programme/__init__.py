"""The programme (专项): how many showcase scenarios all calls together have
selected, against the programme's target of 200, and the quotas the next
call would need to close the gaps."""
