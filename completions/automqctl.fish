# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_automqctl_global_optspecs
    string join \n o/output= h/help V/version
end

function __fish_automqctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_automqctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_automqctl_using_subcommand
    set -l cmd (__fish_automqctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c automqctl -n "__fish_automqctl_needs_command" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_needs_command" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_needs_command" -s V -l version -d 'Print version'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "storage" -d 'Check storage locations before a broker uses them'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "bench" -d 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "completions" -d 'Print a shell completion script (see the README for where each shell loads it from)'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l role -d 'Roles to check the store for (repeatable): data, wal, meta' -r -f -a "data\t'Holds stream objects: needs put, get, ranged get, list, delete and multipart'
wal\t'Holds the object WAL: needs what data needs; latency decides how fast produce is acknowledged'
meta\t'Holds the metadata log: needs atomic create-if-absent'"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l timeout -d 'How long any one request may take' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l create -d 'Create the bucket or directory when it does not exist'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l quick -d 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s b -l bootstrap-server -d 'The cluster to measure (HOST:PORT[,HOST:PORT…])' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l broker-backend -d 'Start an automqd for the run, its data at URI (file:///…, s3://…?…, hdfs://…); without a URI, in a temporary directory. The binary is AUTOMQD_BIN, or automqd next to automqctl' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l wal -d 'The WAL kind of an automqd the bench starts' -r -f -a "file\t''
object\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l compare -d 'Run the same workload against two clusters in turn and print each metric\'s ratio: two targets, or one beside --bootstrap-server / --broker-backend. A target is HOST:PORT, a backend URI (an automqd started there), or `automqd` (one on a temporary directory), optionally named: kafka=127.0.0.1:19092' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l topic -d 'The topic to use; default: a fresh one, deleted afterwards' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l partitions -d 'Partitions of a fresh topic' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l replication-factor -d 'Replication factor of a fresh topic; -1: the cluster\'s default' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l record-size -d 'Bytes per record value (at least 16: a header carries the send time)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l key-distribution -d 'How records get keys: none (the client\'s partitioner), random (8 random bytes), round-robin (no key, partitions in turn)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l rate -d 'Records per second over all producers; default: as fast as the cluster takes them' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l producers -d 'Producer clients, each on its own thread with its share of the rate' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l consumers -d 'Consumer clients; the partitions are spread over them' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l acks -d 'Acknowledgements a produce waits for' -r -f -a "0\t''
1\t''
all\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l compression -d 'none, gzip, snappy or lz4' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l batch-size -d 'The producer\'s batch.size in bytes (default: librdkafka\'s)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l linger-ms -d 'The producer\'s linger.ms (default: librdkafka\'s, 5)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l duration -d 'How long to produce after the warm-up (30s, 2m, 500ms; a bare number is seconds)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l records -d 'How many records to produce after the warm-up' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l warmup -d 'Produce this long before measuring' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l catch-up-mb -d 'Also fill a second topic with this many MB, then time reading it from the start. An automqd the bench started is restarted in between, so the reads come from objects' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s X -d 'A librdkafka setting, repeatable; producer.KEY=VALUE or consumer.KEY=VALUE for one side only' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l plot -d 'Write latency-over-time, latency-distribution and throughput-over-time SVGs into DIR' -r -F
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l drain-timeout -d 'Consumers give up after this long without reaching the end' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from storage bench completions help" -f -a "storage" -d 'Check storage locations before a broker uses them'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from storage bench completions help" -f -a "bench" -d 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from storage bench completions help" -f -a "completions" -d 'Print a shell completion script (see the README for where each shell loads it from)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from storage bench completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from storage" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
