# Plots of bench/run's results (gnuplot 5). bench/run calls it as
#   gnuplot -e "sizedat='..'; sizepng='..'; tundat='..'; tunpng='..'; ntun=N; title='..'" bench/plot.gp
# sizedat: one row per packet size, columns: size label, then Gbps (inner)
#   of p2sgw decap/encap, ipsec-secgw decap/encap, the memif forwarder and
#   raw AES-256-GCM on one core ("?" where a figure is missing).
# tundat: one row per tunnel count, then Mpps of each size/direction (ntun
#   columns); empty name: no tunnel plot.
set datafile missing "?"
set terminal pngcairo size 1000,600 noenhanced font "sans,10"
set key outside right top
set grid ytics mytics

set output sizepng
set title title . ": throughput by packet size (inner IPv4 Gbps per direction)"
set xlabel "inner IPv4 packet size (bytes)"
set ylabel "Gbps (inner), log scale"
set logscale y 10
set style data linespoints
plot sizedat using 0:2:xtic(1) title columnheader(2) lw 2 pt 7, \
     '' using 0:3 title columnheader(3) lw 2 pt 5, \
     '' using 0:4 title columnheader(4) lw 2 dt 2 pt 7, \
     '' using 0:5 title columnheader(5) lw 2 dt 2 pt 5, \
     '' using 0:6 title columnheader(6) lw 1 dt 3 pt 2, \
     '' using 0:7 title columnheader(7) lw 1 dt 4 pt 3

if (strlen(tundat) > 0 && ntun > 0) {
	set output tunpng
	set title title . ": throughput by tunnel count (traffic over every tunnel)"
	unset logscale y
	set logscale x 10
	set xlabel "tunnels"
	set ylabel "Mpps"
	set yrange [0:*]
	set format x "%.0f"
	plot for [i=2:ntun+1] tundat using 1:i title columnheader(i) lw 2 pt 7
}
