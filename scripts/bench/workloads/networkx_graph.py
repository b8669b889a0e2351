# Pure-Python library: networkx graph generation and algorithms.
import networkx as nx

def main():
    g = nx.gnm_random_graph(3000, 15000, seed=1)
    pr = list(nx.connected_components(g))
    paths = dict(nx.single_source_shortest_path_length(g, 0))
    cc = nx.average_clustering(g)
    bc = nx.betweenness_centrality(g, k=150, seed=1)
    return len(pr) + len(paths) + int(cc * 1000) + len(bc)

main()
