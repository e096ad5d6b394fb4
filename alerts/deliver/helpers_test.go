package deliver_test

import "github.com/chainhound/chainhound/alerts/alertstest"

var (
	openStore  = alertstest.OpenStore
	closeStore = alertstest.CloseStore
	openLog    = alertstest.OpenLog
	samples    = alertstest.Samples
)
